"""Every tool through the registry: unknown names, and a round trip of our row ids."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from builder.cli import parser
from builder.errors import DataError
from builder.labeling.human.config import LABELING_TOOLS
from builder.labeling.human.tools import Parsed, Tool, get_tool
from tests.labeling.human.tools.requests import request


def test_unknown_tool() -> None:
    with pytest.raises(DataError, match=r"unknown labeling tool 'prodigy'; expected 'appen', "
                                        r"'csv', 'labelstudio', 'mturk', 'scale' or 'vertex'"):
        get_tool("prodigy")


@pytest.mark.parametrize("tool", LABELING_TOOLS.names())
def test_every_tool_round_trips_our_row_ids(tool: str, tmp_path: Path) -> None:
    """Export, answer the way the tool's workers would, parse: the labels come back by row id."""
    folder = tmp_path / "out"
    folder.mkdir()
    get_tool(tool).export(request(), folder)
    answered = answer(tool, folder, {"shop/r2": "neg", "shop/r7": "pos"})
    parsed = get_tool(tool).parse(answered)
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
    elif tool == "vertex":  # the dataset's export: each item with its annotation
        items = [json.loads(line) for line in (folder / "import.jsonl").read_text().splitlines()]
        from builder.labeling.human.tools.images import row_id_of

        for item in items:
            chosen = labels[row_id_of(item["dataItemResourceLabels"]["flywheel_row"])]
            item["classificationAnnotation"] = {"displayName": chosen}
        out.write_text("".join(json.dumps(i) + "\n" for i in items))
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


@pytest.fixture
def registered_tool():
    """A tool registered for one test, as a new module would register it."""

    class Lines(Tool):
        description = "one row id per line"

        def export(self, request, folder):
            path = folder / "ids.txt"
            path.write_text("".join(f"{i}\n" for i in request.rows["_id"]))
            return [path]

        def parse(self, path, annotator=None):
            parsed = Parsed()
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                row_id, label = line.split()
                parsed.add(f"line {number}", row_id, label, annotator)
            return parsed

    LABELING_TOOLS.register("lines")(Lines)
    yield Lines
    del LABELING_TOOLS._classes["lines"]


def test_a_registered_tool_is_a_choice_and_a_tool(registered_tool, tmp_path: Path) -> None:
    for action in ("export", "import"):
        extra = ["answers.txt"] if action == "import" else []
        args = parser().parse_args(["label", action, "shop", *extra, "--tool", "lines"])
        assert args.tool == "lines"
    files = get_tool("lines").export(request(), tmp_path)
    assert files[0].read_text() == "shop/r2\nshop/r7\n"
    files[0].write_text("shop/r2 neg\n")
    assert get_tool("lines").parse(files[0], "eve").records[0]["_id"] == "shop/r2"
