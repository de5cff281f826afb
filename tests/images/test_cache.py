"""Image checks and hashes through the partition cache (issue 19): images added to one source
are the only ones read, checked and hashed again; the rebuild writes a clean build's bytes."""

from __future__ import annotations

import shutil

import pytest

from builder.sources.images import ImageSource
from tests.images.conftest import png, write
from tests.images.test_pipeline import RECIPE, digest, pictures  # noqa: F401 (fixture)

TWO_SOURCES = RECIPE.replace(
    "  pics: {type: imagefolder, path: imgs}",
    "  pics: {type: imagefolder, path: imgs}\n  more: {type: imagefolder, path: more}")


def test_only_added_images_are_checked_and_hashed_again(pictures, project, monkeypatch) -> None:
    from builder.pipeline.runner import build

    root = project.root
    project.recipe("pics", TWO_SOURCES)
    write(root / "more" / "cat" / "a.png", png(500))
    read: list[int] = []
    image_table = ImageSource.image_table

    def counted(self, files):
        read.append(len(files))
        return image_table(self, files)

    monkeypatch.setattr(ImageSource, "image_table", counted)
    build("pics", root, ["engine.cache.path=cache"], progress=False)
    assert sum(read) == 43  # 42 files under imgs/ (a near copy, a broken one), 1 under more/
    read.clear()
    write(root / "more" / "dog" / "b.png", png(501))
    build("pics", root, ["engine.cache.path=cache"], progress=False)
    assert sum(read) == 2  # more/ only (its one piece), not the 41 files of imgs/
    incremental = digest(root / "data" / "pics")
    shutil.rmtree(root / "data")
    build("pics", root, ["engine.cache.max_size=0"], progress=False)
    clean = digest(root / "data" / "pics")
    for skip in ("engine.yaml", ".hashes.json"):
        incremental.pop(skip, None)
        clean.pop(skip, None)
    assert incremental == clean
