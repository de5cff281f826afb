"""An image recipe builds the same, byte for byte, on the local engine and on a Dask cluster of
two worker processes, with images in several partitions."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from tests.images.test_pipeline import build, pictures  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def checksums(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()
            and p.name not in {".hashes.json", "engine.yaml"}  # caches and the engine
            and ".cache" not in p.relative_to(folder).parts}


def test_local_and_dask_builds_are_byte_identical(pictures, project, monkeypatch):  # noqa: F811
    import builder.sources.imagefolder as imagefolder

    monkeypatch.setattr(imagefolder, "FILES_PER_PIECE", 8)  # several pieces, several parts
    build(project)
    local = project.data("pics").with_name("pics-local")
    shutil.move(project.data("pics"), local)
    build(project, "engine=dask_local", "engine.local_cluster.memory_limit=1GiB")
    on_dask = project.data("pics")
    assert len(list((on_dask / "ingested").glob("part-*.arrow"))) > 3
    a, b = checksums(local), checksums(on_dask)
    assert "hub/data/train-00000-of-00001.parquet" in a and "hub/samples.png" in a
    assert a == b
