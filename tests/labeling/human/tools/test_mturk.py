"""Mechanical Turk's files: batch results parsed, batch input and HIT layout written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from builder.errors import DataError
from builder.labeling.human.tools import get_tool
from tests.labeling.human.conftest import FIXTURES
from tests.labeling.human.tools.requests import brief, request


def test_mturk_batch_results_skip_rejected_assignments() -> None:
    parsed = get_tool("mturk").parse(FIXTURES / "mturk_batch_results.csv")
    # A Rejected status, and a Reject reason typed into the file for offline review.
    assert parsed.skipped == {"rejected": 2}
    assert brief(parsed) == [
        ("shop/r1", "pos", "mturk:A1B2C3D4E5F6G7", "line 2"),
        ("shop/r1", "pos", "mturk:A9Z8Y7X6W5V4U3", "line 3"),
        ("shop/r2", "neg", "mturk:A1B2C3D4E5F6G7", "line 5"),
    ]
    assert parsed.records[2]["ref"] == "3TPWUS5F8B2QEXAMPLE0004"
    assert parsed.records[2]["annotated_at"] == "Tue Mar 03 08:25:52 PST 2026"


def test_mturk_task_answers_json() -> None:
    parsed = get_tool("mturk").parse(FIXTURES / "mturk_task_answers.csv")
    assert brief(parsed) == [("shop/r6", "pos", "mturk:A1B2C3D4E5F6G7", "line 2"),
                             ("shop/r6", "pos", "mturk:A9Z8Y7X6W5V4U3", "line 3")]


def test_mturk_without_answer_column_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("HITId,WorkerId,AssignmentStatus,Input.row_id,Answer.sentiment\n"
                    "H1,W1,Approved,shop/r1,pos\n")
    with pytest.raises(DataError, match=r"has no answer column; expected 'Answer.label.label'"):
        get_tool("mturk").parse(path)


def test_mturk_input_and_layout(tmp_path: Path) -> None:
    files = get_tool("mturk").export(request(), tmp_path)
    with files[0].open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["row_id", "text"],
                    ["shop/r2", 'It stopped working,\nsupport "never" answered.'],
                    ["shop/r7", "Too small, returned it"]]
    layout = files[1].read_text()
    assert '<crowd-classifier name="label" categories="[\'pos\', \'neg\']"' in layout
    assert "${text}" in layout and "crowd-html-elements.js" in layout
