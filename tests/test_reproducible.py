"""Two builds from two fresh clones give byte-identical outputs.

One clone runs `builder build` (artifacts handed from stage to stage in memory, written in the
background), the other runs `builder stage NAME` for each stage in turn (what `dvc repro` does:
every stage reads its input back from disk), so the test also shows both paths agree.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from builder.pipeline import STAGE_NAMES
from tests.conftest import copy_tracked_files, run_cli

pytestmark = pytest.mark.slow

RECIPES = ("reviews", "credit")
#: The compose stage's cache of input hashes, keyed by absolute path and mtime (not an output).
LOCAL_FILES = {".hashes.json"}
#: The augment stage's cache of fitted synthesizers: pickles differ byte-wise between processes
#: (not an output either).
LOCAL_FOLDERS = {".cache"}


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in LOCAL_FILES
            and not LOCAL_FOLDERS & set(p.relative_to(folder).parts)}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = copy_tracked_files(tmp_path_factory.mktemp("clone-a"))
    second = copy_tracked_files(tmp_path_factory.mktemp("clone-b"))
    for recipe in RECIPES:
        run_cli("build", recipe, "--quiet", cwd=first, check=True)
        for stage in STAGE_NAMES:
            run_cli("stage", stage, recipe, cwd=second, check=True)
    return first / "data", second / "data"


@pytest.mark.parametrize("recipe", RECIPES)
def test_hub_shards_are_byte_identical(two_builds, recipe: str) -> None:
    first, second = (checksums(d / recipe / "hub" / "data") for d in two_builds)
    assert first and all(name.endswith(".parquet") for name in first)
    assert first == second


@pytest.mark.parametrize("recipe", RECIPES)
def test_metrics_card_and_saved_dataset_are_byte_identical(two_builds, recipe: str) -> None:
    first, second = (checksums(d / recipe) for d in two_builds)
    for name in ("metrics.json", "README.md", "hub/README.md", "dataset/train/state.json"):
        assert name in first
        assert first[name] == second[name], name
    assert first == second  # and every other output: artifacts, stage metrics, arrow files


def test_fingerprints_are_content_hashes_not_random(two_builds) -> None:
    import json

    first, _ = two_builds
    state = json.loads((first / "reviews" / "dataset" / "train" / "state.json").read_text())
    metrics = json.loads((first / "reviews" / "metrics.json").read_text())
    shards = {p: d for p, d in metrics["export"]["shards"].items() if p.startswith("data/train-")}
    lines = "".join(f"{path} {digest}\n" for path, digest in sorted(shards.items()))
    assert state["_fingerprint"] == hashlib.sha256(lines.encode()).hexdigest()[:16]


def test_export_from_memory_or_from_disk_gives_the_same_bytes(example_project) -> None:
    """In one process, `builder build` hands the export the stage metrics from memory or from
    disk, whichever the background writer leaves them: both give the same outputs. (The
    tables themselves are folders of parts, always read from disk.)"""
    import threading

    from builder import artifacts

    from builder.pipeline import runner

    # Without the partition cache, which would restore the stages run again instead of running
    # them.
    ctx = runner.compose_stage("credit", example_project.root, ["engine.cache.max_size=0"])
    for name in STAGE_NAMES[1:]:
        runner.run_stage(name, ctx)  # every stage reads its input back from disk
    from_disk = checksums(ctx.data_dir)
    release = threading.Event()
    with artifacts.write_behind() as session:
        session.write(ctx.root / "blocker", None, lambda tmp: release.wait())  # holds the writer
        try:
            for name in ("split", "augment"):
                runner.run_stage(name, ctx)
            assert session.pending(ctx.metrics_path("augment")) is not None
            runner.run_stage("export", ctx)
        finally:
            release.set()
    from_memory = checksums(ctx.data_dir)
    assert "README.md" in from_memory and "dataset/train/data-00000-of-00001.arrow" in from_memory
    assert from_memory == from_disk
