"""The Dask engine against `dask.distributed` clusters of two worker processes started here
(bound to 127.0.0.1): the same recipe built with the local and the Dask engine gives the same
rows, labels and splits, and each engine gives the same bytes twice."""

from __future__ import annotations

import hashlib
import shutil
import socket
from pathlib import Path

import pandas as pd
import pytest

from builder.pipeline import runner
from builder.engine import LocalEngine
from builder.engine.config import EngineConfig
from builder.engine.dask import DaskEngine
from builder.partitions import read_artifact
from tests.conftest import run_cli
from tests.engine.generated import write_project_data

pytestmark = pytest.mark.slow

#: Written by the compose stage for the engine in use: the only file that may differ.
ENGINE_FILE = "engine.yaml"
#: Caches, not outputs (see tests/test_reproducible.py).
LOCAL_FILES = {".hashes.json"}
LOCAL_FOLDERS = {".cache"}


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes and a scheduler on 127.0.0.1, for every test of this module."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, memory_limit="2GiB",
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as started:
        yield started


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every output file under `folder`, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in LOCAL_FILES
            and not LOCAL_FOLDERS & set(p.relative_to(folder).parts)}


def keep(data: Path, as_name: str) -> Path:
    """Move a finished build's folder aside (the next build of the recipe starts afresh)."""
    target = data.with_name(as_name)
    shutil.move(data, target)
    return target


def by_id(folder: Path, artifact: str) -> pd.DataFrame:
    return read_artifact(folder / artifact).set_index("_id").sort_index()


def assert_same_answer(first: Path, second: Path, label: str) -> None:
    """Same rows, labels and split assignments, compared by `_id`, at every stage."""
    for artifact in ("ingested", "labeled", "split", "augmented"):
        a, b = by_id(first, artifact), by_id(second, artifact)
        assert a.index.is_unique and len(a) > 0
        pd.testing.assert_index_equal(a.index, b.index)
        pd.testing.assert_frame_equal(a, b, obj=artifact)
    rows = by_id(first, "split")
    assert rows[label].notna().sum() > 0 and rows["split"].nunique() == 3


def assert_same_bytes(first: Path, second: Path) -> None:
    a, b = checksums(first), checksums(second)
    assert a[ENGINE_FILE] and "hub/data/train-00000-of-00001.parquet" in a
    a.pop(ENGINE_FILE), b.pop(ENGINE_FILE)
    assert a == b


def test_map_gives_results_in_item_order_on_worker_processes(cluster) -> None:
    import os

    engine = DaskEngine(EngineConfig(type="dask", address=cluster.scheduler_address))
    try:
        assert len(engine.workers) == 2
        pids = engine.map(_pid_after, [0.2, 0.0, 0.1, 0.0], label="order")
        squares = engine.map(pow, list(range(20)), 2)
    finally:
        engine.close()
    assert squares == [i * i for i in range(20)]
    assert os.getpid() not in pids and len(set(pids)) == 2  # both workers, none of them here
    assert LocalEngine(EngineConfig()).map(pow, list(range(20)), 2) == squares


def _pid_after(seconds: float) -> int:
    import os
    import time

    time.sleep(seconds)
    return os.getpid()


def test_generated_data_with_every_stage_builds_the_same_on_both_engines(project,
                                                                          cluster) -> None:
    """Transforms (with a dedup across partitions), labeling functions + label model + pseudo
    labels + label errors, split, SMOTE, over-sampling and a synthesizer, export: 64 KiB
    partitions, so every stage sees several. Local twice, Dask twice (on the scheduler this
    test started, through the command line; and on a cluster the build starts itself)."""
    name = write_project_data(project.root)
    data = project.data(name)
    runner.build(name, project.root, progress=False)
    local = keep(data, "local-1")
    runner.build(name, project.root, progress=False)
    local_again = keep(data, "local-2")
    run_cli("build", name, "engine.type=dask", f"engine.address={cluster.scheduler_address}",
            "--quiet", cwd=project.root, check=True)
    on_dask = keep(data, "dask-1")
    runner.build(name, project.root, ["engine.type=dask", "engine.local_cluster.n_workers=2",
                                      "engine.local_cluster.memory_limit=2GiB"], progress=False)
    on_dask_again = keep(data, "dask-2")

    assert len(list((local / "ingested").glob("part-*.arrow"))) >= 4
    assert_same_bytes(local, local_again)
    assert_same_bytes(on_dask, on_dask_again)
    assert_same_answer(local, on_dask, "risk")
    assert_same_bytes(local, on_dask)  # and so every published byte

    rows = by_id(on_dask, "augmented")
    assert set(rows["label_source"].dropna()) == {"gold", "weak", "pseudo"}
    assert set(rows["_origin"]) == {"real", "smote", "oversampled", "synthetic"}
    assert (on_dask / ENGINE_FILE).read_text() != (local / ENGINE_FILE).read_text()


def test_partition_size_never_changes_the_answer(project) -> None:
    """One partition per source (32 MiB) or many (64 KiB): the same rows, labels and splits."""
    name = write_project_data(project.root)
    data = project.data(name)
    runner.build(name, project.root, progress=False)
    small = keep(data, "small")
    runner.build(name, project.root, ["engine.partition_size=32MiB"], progress=False)
    assert len(list((data / "ingested").glob("part-*.arrow"))) == 2
    assert_same_answer(small, data, "risk")


def test_reviews_example_builds_the_same_on_both_engines(example_project, cluster) -> None:
    """The reviews example (feedback log with dedup, labeling functions, label model, text
    pseudo-labels, the human label store, grouped split) on the local and the Dask engine."""
    root = example_project.root
    runner.build("reviews", root, progress=False)
    local = keep(example_project.data("reviews"), "reviews-local")
    runner.build("reviews", root, ["engine.type=dask",
                                   f"engine.address={cluster.scheduler_address}"],
                 progress=False)
    on_dask = example_project.data("reviews")
    assert_same_answer(local, on_dask, "label")
    assert_same_bytes(local, on_dask)
    rows = by_id(on_dask, "labeled")
    assert {"weak", "pseudo", "feedback"} <= set(rows["label_source"].dropna())


def test_an_unreachable_scheduler_is_a_clear_error(project) -> None:
    name = write_project_data(project.root, rows=200)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("build", name, "engine.type=dask", f"engine.address=tcp://127.0.0.1:{port}",
                     "--quiet", cwd=project.root,
                     env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert result.returncode == 2, result.stderr
    assert f"recipes/{name}.yaml: engine.address: cannot reach the Dask scheduler at " \
           f"tcp://127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project.data(name) / "ingested").exists()
