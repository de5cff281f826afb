"""Each labeling tool's files: what we export, and parsing what the tools give back."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from builder.errors import DataError
from builder.labeling.human.formats import TOOLS, ExportRequest, get_tool
from builder.recipe.schema import TaskConfig
from tests.labeling.human.conftest import FIXTURES

TASK = TaskConfig(type="text-classification", text="text", label="label", classes=["pos", "neg"])


def brief(parsed) -> list[tuple]:
    return [(r["_id"], r["label"], r["annotator"], r["where"]) for r in parsed.records]


def request(task: TaskConfig = TASK, content: list[str] | None = None) -> ExportRequest:
    rows = pd.DataFrame({
        "_id": ["shop/r2", "shop/r7"],
        "text": ['It stopped working,\nsupport "never" answered.', "Too small, returned it"],
        "prediction": pd.array(["neg", pd.NA], dtype="string"),
        "score": [0.61, np.nan],
        "price": [9.5, 3.0],
    })
    return ExportRequest(rows=rows, task=task, instructions="Is the review positive or negative?",
                         content_columns=content or ["text"], strategy="least_confident")


# ----- imports: fixtures shaped like the real files -----

def test_labelstudio_export_with_several_annotators_and_a_skip() -> None:
    parsed = get_tool("labelstudio").parse(FIXTURES / "labelstudio_export.json")
    assert brief(parsed) == [
        ("shop/r3", "neg", "labelstudio:2", "task 1 (id 1) annotation 1 (id 1)"),
        ("shop/r3", "neg", "labelstudio:3", "task 1 (id 1) annotation 2 (id 3)"),
        ("shop/r4", "pos", "labelstudio:2", "task 2 (id 2) annotation 1 (id 2)"),
        ("shop/r5", "neg", "labelstudio:carol@example.com", "task 3 (id 3) annotation 1 (id 5)"),
        ("shop/r5", "pos", "labelstudio:2", "task 3 (id 3) annotation 2 (id 6)"),
    ]
    assert parsed.skipped == {"cancelled": 1}
    assert parsed.problems == []
    assert parsed.records[0]["annotated_at"] == "2026-11-28T18:50:49.702054Z"
    assert parsed.records[0]["ref"] == "task 1 annotation 1"


def test_labelstudio_problems_name_the_task_and_annotation(tmp_path: Path) -> None:
    bad = [
        {"id": 7, "data": {"text": "x"}, "annotations": [
            {"id": 70, "completed_by": 1, "result": [
                {"from_name": "label", "to_name": "text", "type": "choices",
                 "value": {"choices": ["pos"]}}]}]},
        {"id": 8, "data": {"text": "y", "row_id": "shop/r1"}, "annotations": [
            {"id": 80, "completed_by": 1, "result": [
                {"from_name": "label", "to_name": "text", "type": "choices",
                 "value": {"choices": ["pos", "neg"]}}]}]},
        "not a task",
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(bad))
    parsed = get_tool("labelstudio").parse(path)
    assert parsed.records == []
    assert parsed.problems == [
        "task 1 (id 7) annotation 1 (id 70): no row id; expected each record to name its row, "
        "its class and its annotator.",
        "task 2 (id 8) annotation 1 (id 80): found choices ['pos', 'neg'], expected exactly one "
        "class (a single-choice question).",
        "task 3: expected an object with `data`.",
    ]


def test_labelstudio_rejects_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"tasks": []}')
    with pytest.raises(DataError, match=r"export.json \(labelstudio\): found a JSON dict, "
                                        r"expected the list of tasks"):
        get_tool("labelstudio").parse(path)
    path.write_text('[{"id": 1,')
    with pytest.raises(DataError, match=r"line 1: not valid JSON"):
        get_tool("labelstudio").parse(path)


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


def test_plain_csv_skips_blank_labels() -> None:
    parsed = get_tool("csv").parse(FIXTURES / "plain.csv")
    assert brief(parsed) == [("shop/r2", "neg", "dana", "line 2"),
                             ("shop/r3", "neg", "dana", "line 4")]
    assert parsed.skipped == {"blank label": 1}


def test_plain_csv_needs_an_annotator(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("row_id,label\nshop/r1,pos\nshop/r2\n")
    with pytest.raises(DataError, match=r"has no 'annotator' column; add one, or name the "
                                        r"annotator with --annotator"):
        get_tool("csv").parse(path)
    parsed = get_tool("csv").parse(path, annotator="eve")
    assert brief(parsed) == [("shop/r1", "pos", "eve", "line 2")]
    assert parsed.problems == ["line 3: 1 fields, expected 2 like the header."]


def test_unknown_tool() -> None:
    with pytest.raises(DataError, match=r"unknown labeling tool 'prodigy'; expected 'appen', "
                                        r"'csv', 'labelstudio', 'mturk' or 'scale'"):
        get_tool("prodigy")


# ----- exports -----

def test_labelstudio_tasks_and_labeling_config(tmp_path: Path) -> None:
    files = get_tool("labelstudio").export(request(), tmp_path)
    assert [f.name for f in files] == ["tasks.json", "labeling_config.xml"]
    tasks = json.loads(files[0].read_text())
    assert tasks == [
        {"data": {"text": 'It stopped working,\nsupport "never" answered.', "row_id": "shop/r2"},
         "predictions": [{"model_version": "flywheel", "score": 0.61, "result": [
             {"from_name": "label", "to_name": "text", "type": "choices",
              "value": {"choices": ["neg"]}}]}]},
        {"data": {"text": "Too small, returned it", "row_id": "shop/r7"}},
    ]
    view = ET.fromstring(files[1].read_text())
    assert view.find("Text").attrib == {"name": "text", "value": "$text"}
    choices = view.find("Choices")
    assert choices.attrib["name"] == "label" and choices.attrib["toName"] == "text"
    assert choices.attrib["choice"] == "single-radio"
    assert [c.attrib["value"] for c in choices] == ["pos", "neg"]
    assert view.find("Header").attrib["value"] == "Is the review positive or negative?"


def test_labelstudio_tabular_tasks_show_a_table(tmp_path: Path) -> None:
    tabular = TaskConfig(type="tabular-classification", label="label", classes=["good", "bad"])
    files = get_tool("labelstudio").export(request(tabular, ["price"]), tmp_path)
    tasks = json.loads(files[0].read_text())
    assert tasks[0]["data"] == {"features": {"price": 9.5}, "row_id": "shop/r2"}
    assert tasks[0]["predictions"][0]["result"][0]["to_name"] == "features"
    view = ET.fromstring(files[1].read_text())
    assert view.find("Table").attrib == {"name": "features", "value": "$features"}


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


def test_scale_task_payloads(tmp_path: Path) -> None:
    files = get_tool("scale").export(request(), tmp_path)
    payloads = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert payloads[0] == {
        "instruction": "Is the review positive or negative?", "attachment_type": "text",
        "attachment": 'It stopped working,\nsupport "never" answered.',
        "categories": ["pos", "neg"], "unique_id": "shop/r2",
        "metadata": {"row_id": "shop/r2", "prediction": "neg", "prediction_score": 0.61,
                     "queue": "least_confident"}}


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_every_tool_round_trips_our_row_ids(tool: str, tmp_path: Path) -> None:
    """Export, answer the way the tool's workers would, parse: the labels come back by row id."""
    folder = tmp_path / "out"
    folder.mkdir()
    TOOLS[tool].export(request(), folder)
    answered = answer(tool, folder, {"shop/r2": "neg", "shop/r7": "pos"})
    parsed = TOOLS[tool].parse(answered)
    assert parsed.problems == []
    assert sorted((r["_id"], r["label"]) for r in parsed.records) == [("shop/r2", "neg"),
                                                                      ("shop/r7", "pos")]


def answer(tool: str, folder: Path, labels: dict[str, str]) -> Path:
    """What each tool returns for our exported files, answered with `labels`."""
    out = folder / "answered"
    if tool == "labelstudio":
        tasks = json.loads((folder / "tasks.json").read_text())
        for i, task in enumerate(tasks, start=1):
            chosen = labels[task["data"]["row_id"]]
            task.update(id=i, annotations=[{"id": i, "completed_by": 1, "was_cancelled": False,
                                            "result": [{"from_name": "label", "to_name": "text",
                                                        "type": "choices",
                                                        "value": {"choices": [chosen]}}]}])
        out.write_text(json.dumps(tasks))
    elif tool == "scale":
        lines = [json.loads(line) for line in (folder / "tasks.jsonl").read_text().splitlines()]
        for i, task in enumerate(lines):
            task.update(task_id=f"t{i}", status="completed",
                        response={"category": labels[task["unique_id"]]})
        out.write_text("".join(json.dumps(t) + "\n" for t in lines))
    else:
        source = {"mturk": "input.csv", "appen": "job.csv", "csv": "queue.csv"}[tool]
        with (folder / source).open(newline="") as fh:
            rows = list(csv.DictReader(fh))
        with out.open("w", newline="") as fh:
            if tool == "mturk":
                fields = ["HITId", "AssignmentId", "WorkerId", "AssignmentStatus", "Input.row_id",
                          "Input.text", "Answer.label.label", "Approve", "Reject"]
                values = [[f"H{i}", f"A{i}", "W1", "Submitted", r["row_id"], r["text"],
                           labels[r["row_id"]], "", ""] for i, r in enumerate(rows)]
            elif tool == "appen":
                fields = ["_unit_id", "_id", "_worker_id", "_trust", "_tainted", "_golden",
                          "label", *rows[0]]
                values = [[str(i), str(100 + i), "77", "0.9", "false", "false",
                           labels[r["row_id"]], *r.values()] for i, r in enumerate(rows)]
            else:
                fields = list(rows[0])
                values = [[*list(r.values())[:-2], labels[r["row_id"]], "dana"] for r in rows]
            writer = csv.writer(fh)
            writer.writerow(fields)
            writer.writerows(values)
    return out
