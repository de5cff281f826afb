"""Appen's files: the full report parsed, job data and CML written."""

from __future__ import annotations

import csv
from pathlib import Path

from builder.labeling.human.tools import get_tool
from tests.labeling.human.conftest import FIXTURES
from tests.labeling.human.tools.requests import brief, request


def test_appen_full_report_skips_tainted_and_test_questions() -> None:
    parsed = get_tool("appen").parse(FIXTURES / "appen_full_report.csv")
    assert parsed.skipped == {"golden": 1, "tainted": 1}
    assert brief(parsed) == [
        ("shop/r7", "neg", "appen:45021377", "line 2"),
        ("shop/r7", "neg", "appen:45100982", "line 3"),
        ("shop/r8", "pos", "appen:45021377", "line 5"),
    ]
    assert [r["trust"] for r in parsed.records] == [0.9412, 0.8667, 0.9412]
    assert parsed.records[0]["ref"] == "6218904411"


def test_appen_job_and_cml(tmp_path: Path) -> None:
    files = get_tool("appen").export(request(), tmp_path)
    with files[0].open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0] == {"row_id": "shop/r2",
                       "text": 'It stopped working,\nsupport "never" answered.',
                       "prediction": "neg", "prediction_score": "0.61"}
    assert rows[1]["prediction"] == "" and rows[1]["prediction_score"] == ""
    cml = files[1].read_text()
    assert '<cml:radios label="Is the review positive or negative?" name="label"' in cml
    assert '<cml:radio label="neg" value="neg" />' in cml and "{{text}}" in cml
