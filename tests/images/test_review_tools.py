"""Review-queue exports of an image task for every labeling tool (the images written beside
the tool's files and shown the tool's way), their answers imported back into the label store,
and Vertex AI's JSON Lines both ways."""

from __future__ import annotations

import csv
import json

import pytest

from builder.cli import main
from builder.labeling.human.config import LABELING_TOOLS
from builder.labeling.human.tools.images import row_id_of
from builder.partitions import read_artifact
from tests.images.test_pipeline import RECIPE, build, pictures  # noqa: F401 (fixture)
from tests.labeling.human.tools.test_base import answer


def cli(project, *args: str) -> int:
    return main(["--root", str(project.root), *args])


def flipped(label: str) -> str:
    return {"cat": "dog", "dog": "cat"}[label]


@pytest.mark.parametrize("tool", LABELING_TOOLS.names())
def test_image_tasks_round_trip_through_every_tool(pictures, project, tool):  # noqa: F811
    project.recipe("pics", RECIPE + "labeling: {human: {image_url_prefix: "
                   "'gs://bucket/pics/'}}\n" if tool == "vertex" else RECIPE)
    build(project)
    assert cli(project, "label", "export", "pics", "--tool", tool, "--budget", "4",
               "--strategy", "audit") == 0
    folder = project.data("pics") / "queue" / tool
    images = sorted((folder / "images").iterdir())
    assert len(images) == 4 and all(p.suffix == ".png" for p in images)
    rows = read_artifact(project.data("pics") / "labeled").set_index("_id")
    for path in images:  # each file is its row's image, named by its row id
        assert path.read_bytes() == rows.loc[row_id_of(path.stem), "image"]
    if tool == "labelstudio":
        config = (folder / "labeling_config.xml").read_text()
        assert '<Image name="image" value="$image"' in config and 'toName="image"' in config
        task = json.loads((folder / "tasks.json").read_text())[0]
        assert task["data"]["image"].startswith("/data/local-files/?d=images/")
    elif tool == "mturk":
        assert '<crowd-image-classifier name="label" src="${image_url}"' in \
            (folder / "question.html").read_text()
        assert next(csv.DictReader((folder / "input.csv").open()))["image_url"].startswith(
            "images/")
    elif tool == "appen":
        assert '<img src="{{image_url}}"' in (folder / "job.cml").read_text()
    elif tool == "scale":
        task = json.loads((folder / "tasks.jsonl").read_text().splitlines()[0])
        assert task["attachment_type"] == "image" and task["attachment"].startswith("images/")
    elif tool == "vertex":
        item = json.loads((folder / "import.jsonl").read_text().splitlines()[0])
        assert item["imageGcsUri"].startswith("gs://bucket/pics/images/")
        assert "image_classification_single_label" in (folder / "import_schema.txt").read_text()
    queued = [row_id_of(p.stem) for p in images]
    wanted = {row_id: flipped(rows.loc[row_id, "label"]) for row_id in queued}
    answered = answer_image_task(tool, folder, wanted)
    assert cli(project, "label", "import", "pics", str(answered), "--tool", tool,
               "--annotator", "dana") == 0
    build(project)
    labeled = read_artifact(project.data("pics") / "labeled").set_index("_id")
    for row_id, label in wanted.items():
        assert labeled.loc[row_id, "label"] == label
        assert labeled.loc[row_id, "label_source"] == "human"


def answer_image_task(tool, folder, labels):
    """The tool's answers, as `tests.labeling.human.tools.test_base.answer` writes them, for
    an image task (Label Studio answers about `image`, MTurk's input has `image_url`)."""
    if tool == "labelstudio":
        tasks = json.loads((folder / "tasks.json").read_text())
        for i, task in enumerate(tasks, start=1):
            chosen = labels[task["data"]["row_id"]]
            task.update(id=i, annotations=[{"id": i, "completed_by": 1, "result": [
                {"from_name": "label", "to_name": "image", "type": "choices",
                 "value": {"choices": [chosen]}}]}])
        out = folder / "answered"
        out.write_text(json.dumps(tasks))
        return out
    if tool == "mturk":
        rows = list(csv.DictReader((folder / "input.csv").open()))
        out = folder / "answered"
        with out.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["HITId", "AssignmentId", "WorkerId", "AssignmentStatus",
                             "Input.row_id", "Input.image_url", "Answer.label.label"])
            writer.writerows([[f"H{i}", f"A{i}", "W1", "Submitted", r["row_id"], r["image_url"],
                               labels[r["row_id"]]] for i, r in enumerate(rows)])
        return out
    return answer(tool, folder, labels)


def test_vertex_needs_a_cloud_storage_prefix_for_images(pictures, project, capsys):  # noqa: F811
    build(project)
    assert cli(project, "label", "export", "pics", "--tool", "vertex", "--budget", "2",
               "--strategy", "audit") == 2
    assert "labeling.human.image_url_prefix set to the gs:// folder" in capsys.readouterr().err


def test_vertex_text_items_and_an_export_with_uris_only(tmp_path):
    from builder.labeling.human.tools import get_tool
    from builder.labeling.human.tools.images import file_stem
    from tests.labeling.human.tools.requests import request

    folder = tmp_path / "out"
    folder.mkdir()
    vertex = get_tool("vertex")
    vertex.export(request(), folder)
    items = [json.loads(line) for line in (folder / "import.jsonl").read_text().splitlines()]
    assert items[0]["textContent"].startswith("It stopped working")
    assert row_id_of(items[1]["dataItemResourceLabels"]["flywheel_row"]) == "shop/r7"
    # An export of the dataset from Vertex AI: the row comes from the image's file name too.
    exported = tmp_path / "export.jsonl"
    exported.write_text(json.dumps({
        "imageGcsUri": f"gs://b/images/{file_stem('shop/r2')}.png",
        "classificationAnnotation": {"displayName": "neg", "annotationResourceLabels": {
            "aiplatform.googleapis.com/annotation_set_name": "set1"}}}) + "\n"
        + json.dumps({"textContent": "x", "dataItemResourceLabels": {}}) + "\n")
    parsed = vertex.parse(exported)
    assert [(r["_id"], r["label"], r["annotator"]) for r in parsed.records] == [
        ("shop/r2", "neg", "vertex:set1")]
    assert parsed.skipped == {"no annotation": 1}
