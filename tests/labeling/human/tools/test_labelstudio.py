"""Label Studio's files: its project export JSON parsed, our tasks and labeling config written."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from builder.errors import DataError
from builder.labeling.human.tools import get_tool
from builder.recipe.schema import TaskConfig
from tests.labeling.human.conftest import FIXTURES
from tests.labeling.human.tools.requests import brief, request


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
