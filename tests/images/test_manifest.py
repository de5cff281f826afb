"""`type: image_manifest`: image paths relative to the manifest, metadata columns, missing files
and paths that leave the manifest's folder."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder.errors import DataError
from tests.images.conftest import png, write


@pytest.fixture
def photos(project):
    folder = project.root / "shots"
    for i in range(4):
        write(folder / "files" / f"{i}.png", png(i))
    return folder


def test_csv_manifest_with_metadata(photos, ingest):
    (photos / "manifest.csv").write_text(
        "path,label,camera\nfiles/0.png,cat,a\nfiles/1.png,dog,b\nfiles/2.png,cat,c\n")
    frame, metrics = ingest("shots: {type: image_manifest, path: shots/manifest.csv, "
                            "image_path: path}")
    assert list(frame["camera"]) == ["a", "b", "c"]
    assert list(frame["label"]) == ["cat", "dog", "cat"]
    assert frame["image"][1] == (photos / "files" / "1.png").read_bytes()
    assert list(frame["width"]) == [16, 16, 16]
    assert metrics["sources"]["shots"]["bad_images"] == 0


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_jsonl_and_parquet_manifests(photos, ingest, kind):
    rows = [{"f": "files/3.png", "label": "dog"}, {"f": "files/0.png", "label": "cat"}]
    if kind == "jsonl":
        (photos / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        pq.write_table(pa.Table.from_pylist(rows), photos / "m.parquet")
    frame, _ = ingest(f"shots: {{type: image_manifest, path: shots/m.{kind}, image_path: f}}")
    assert list(frame["f"]) == ["files/3.png", "files/0.png"]
    assert frame["image"][0] == (photos / "files" / "3.png").read_bytes()


def test_missing_image_is_counted_or_fails(photos, ingest):
    (photos / "manifest.csv").write_text("path,label\nfiles/0.png,cat\nfiles/gone.png,dog\n")
    frame, metrics = ingest("shots: {type: image_manifest, path: shots/manifest.csv, "
                            "image_path: path}")
    assert list(frame["path"]) == ["files/0.png"]
    figures = metrics["sources"]["shots"]
    assert figures["bad_images"] == 1
    assert figures["bad_image_paths"][0]["problem"] == "missing file"
    assert figures["bad_image_paths"][0]["path"].endswith("shots/files/gone.png")
    with pytest.raises(DataError, match=r"gone.png is bad: missing file"):
        ingest("shots: {type: image_manifest, path: shots/manifest.csv, image_path: path, "
               "on_bad_image: fail}")


def test_path_leaving_the_manifest_folder_is_an_error(photos, project, ingest):
    write(project.root / "secret.png", png(5))
    (photos / "manifest.csv").write_text("path,label\n../secret.png,cat\n")
    with pytest.raises(DataError, match=r"row 1: the image path '../secret.png' in column "
                                         r"'path' leaves the manifest's folder"):
        ingest("shots: {type: image_manifest, path: shots/manifest.csv, image_path: path}")


def test_hf_dataset_with_an_image_feature(project, ingest):
    """An `hf` source whose dataset has a `datasets.Image` feature: the images as bytes,
    verified (a broken one dropped and counted), with width, height and mode."""
    import datasets

    features = datasets.Features({"image": datasets.Image(),
                                  "label": datasets.ClassLabel(names=["cat", "dog"])})
    rows = {"image": [{"bytes": png(1), "path": None}, {"bytes": png(2), "path": None},
                      {"bytes": b"broken", "path": "x.png"}], "label": [0, 1, 1]}
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows, features=features)}) \
        .save_to_disk(str(project.root / "saved"))
    frame, metrics = ingest("hub: {type: hf, path: saved}")
    assert list(frame["label"]) == ["cat", "dog"]
    assert frame["image"][1] == png(2) and list(frame["width"]) == [16, 16]
    assert metrics["sources"]["hub"]["bad_images"] == 1
