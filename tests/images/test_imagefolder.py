"""`type: imagefolder`: labels from folder names, lazily read bytes, bad and non-image files."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from builder.errors import DataError, FlywheelError
from tests.images.conftest import png, write


def test_labels_from_folder_names_and_image_columns(folder, ingest):
    frame, metrics = ingest("pics: {type: imagefolder, path: imgs}")
    assert len(frame) == 6
    assert sorted(frame["file"]) == [f"{c}/{i}.png" for c in ("cat", "dog") for i in range(3)]
    assert dict(zip(frame["file"], frame["label"]))["dog/1.png"] == "dog"
    first = frame.sort_values("file").iloc[0]
    assert first["image"] == (folder / "cat/0.png").read_bytes()
    assert (first["width"], first["height"], first["mode"]) == (16, 16, "RGB")
    assert Image.open(io.BytesIO(first["image"])).size == (16, 16)
    assert metrics["sources"]["pics"]["rows"] == 6
    assert metrics["sources"]["pics"]["bad_images"] == 0


def test_label_map_and_unlabeled(folder, ingest):
    frame, _ = ingest("pics: {type: imagefolder, path: imgs, label_map: {cat: feline, dog: canine}}",
                      classes="[feline, canine]")
    assert set(frame["label"]) == {"feline", "canine"}


def test_unlabeled(folder, project):
    from builder.sources.imagefolder import ImageFolderConfig, ImageFolderSource

    config = ImageFolderConfig(type="imagefolder", path="imgs", labels="none")
    table = ImageFolderSource("pics", config, project.root).read()
    assert table.num_rows == 6 and "label" not in table.column_names


def test_id_is_the_image_bytes_hash(folder, ingest):
    """The same image in two folders gets the same id hash (numbered as a repeat), whatever
    its path or label."""
    write(folder / "dog" / "copy.png", (folder / "cat" / "0.png").read_bytes())
    frame, _ = ingest("pics: {type: imagefolder, path: imgs}")
    ids = dict(zip(frame["file"], frame["_id"]))
    assert ids["dog/copy.png"] == ids["cat/0.png"] + "-1"


def test_bad_images_are_dropped_counted_and_listed(folder, ingest):
    write(folder / "cat" / "empty.png", b"")
    whole = (folder / "dog" / "0.png").read_bytes()
    write(folder / "dog" / "truncated.png", whole[: len(whole) // 2])
    write(folder / "dog" / "garbage.png", b"not an image at all")
    write(folder / "dog" / "notes.txt", b"a note")
    write(folder / "cat" / "big.png", png(99, size=64))
    frame, metrics = ingest("pics: {type: imagefolder, path: imgs, max_pixels: 1000}")
    assert len(frame) == 6
    figures = metrics["sources"]["pics"]
    assert figures["bad_images"] == 4
    problems = {item["path"]: item["problem"] for item in figures["bad_image_paths"]}
    assert set(problems) == {"imgs/cat/empty.png", "imgs/dog/truncated.png",
                             "imgs/dog/garbage.png", "imgs/cat/big.png"}
    assert "0 bytes" in problems["imgs/cat/empty.png"]
    assert "max_pixels" in problems["imgs/cat/big.png"]
    assert figures["skipped_files"] == 1
    assert figures["skipped_file_paths"] == ["imgs/dog/notes.txt"]


def test_on_bad_image_fail(folder, ingest):
    write(folder / "cat" / "empty.png", b"")
    with pytest.raises(DataError, match=r"imgs/cat/empty.png is bad: empty file.*on_bad_image"):
        ingest("pics: {type: imagefolder, path: imgs, on_bad_image: fail}")


def test_glob_and_extensions(folder, ingest):
    write(folder / "cat" / "photo.jpeg", png(50))  # a PNG named .jpeg: Pillow reads its bytes
    frame, _ = ingest("pics: {type: imagefolder, path: imgs, glob: 'cat/*', extensions: [.jpeg]}")
    assert list(frame["file"]) == ["cat/photo.jpeg"]


def test_glob_escaping_the_root_is_a_recipe_error(folder, ingest):
    with pytest.raises(FlywheelError, match=r"sources.pics.glob: found '../\*\*/\*'.*outside"):
        ingest("pics: {type: imagefolder, path: imgs, glob: '../**/*'}")


def test_many_pieces_read_the_same_rows(folder, ingest, monkeypatch):
    """Pieces of at most two files: the same rows and ids as one piece."""
    import builder.sources.imagefolder as imagefolder

    one, _ = ingest("pics: {type: imagefolder, path: imgs}")
    monkeypatch.setattr(imagefolder, "FILES_PER_PIECE", 2)
    many, _ = ingest("pics: {type: imagefolder, path: imgs}")
    assert list(one["_id"]) == list(many["_id"])


def test_folder_fingerprint_changes_with_an_image(folder, project, ingest):
    import yaml

    ingest("pics: {type: imagefolder, path: imgs}")
    inputs = project.data("t") / "inputs.yaml"
    before = yaml.safe_load(inputs.read_text())["sources"]["pics"]
    write(folder / "cat" / "0.png", png(77))
    ingest("pics: {type: imagefolder, path: imgs}")
    after = yaml.safe_load(inputs.read_text())["sources"]["pics"]
    assert list(before) == ["imgs/**/*"] and before != after


def test_an_image_is_read_once_for_the_fingerprint_and_the_cache_key(folder, project):
    """The folder's fingerprint and a piece's partition-cache key share each file's digest in a
    process; a changed file is read again."""
    from builder.sources import imagefolder
    from builder.sources.imagefolder import ImageFolderConfig, ImageFolderSource

    config = ImageFolderConfig(type="imagefolder", path="imgs")
    source = ImageFolderSource("pics", config, project.root)
    piece = source.pieces(1 << 20)[0]
    first = (config.folder_inputs(project.root), source.piece_digest(piece))
    assert str(folder / "cat" / "0.png") in imagefolder._DIGESTS
    write(folder / "cat" / "0.png", png(77) + b"")
    import os

    os.utime(folder / "cat" / "0.png", ns=(1, 1))
    second = (config.folder_inputs(project.root), source.piece_digest(piece))
    assert first[0] != second[0] and first[1] != second[1]
