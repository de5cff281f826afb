"""Scale's files: task objects parsed (JSON Lines or a page), task payloads written."""

from __future__ import annotations

import json
from pathlib import Path

from builder.labeling.human.tools import get_tool
from tests.labeling.human.conftest import FIXTURES
from tests.labeling.human.tools.requests import brief, request


def test_scale_completed_tasks_only() -> None:
    parsed = get_tool("scale").parse(FIXTURES / "scale_tasks.jsonl")
    assert brief(parsed) == [("shop/r1", "pos", "scale", "line 1"),
                             ("shop/r5", "neg", "scale", "line 2")]
    assert parsed.skipped == {"canceled": 1, "pending": 1}
    assert parsed.records[1]["ref"] == "6512a8c0f1e3b2001d0c4a12"


def test_scale_accepts_a_page_of_tasks(tmp_path: Path) -> None:
    lines = (FIXTURES / "scale_tasks.jsonl").read_text().splitlines()
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({"docs": [json.loads(l) for l in lines], "total": 4,
                                "limit": 100, "offset": 0, "has_more": False}))
    parsed = get_tool("scale").parse(path)
    assert brief(parsed) == [("shop/r1", "pos", "scale", "task 1"),
                             ("shop/r5", "neg", "scale", "task 2")]


def test_scale_task_payloads(tmp_path: Path) -> None:
    files = get_tool("scale").export(request(), tmp_path)
    payloads = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert payloads[0] == {
        "instruction": "Is the review positive or negative?", "attachment_type": "text",
        "attachment": 'It stopped working,\nsupport "never" answered.',
        "categories": ["pos", "neg"], "unique_id": "shop/r2",
        "metadata": {"row_id": "shop/r2", "prediction": "neg", "prediction_score": 0.61,
                     "queue": "least_confident"}}
