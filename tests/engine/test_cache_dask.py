"""The partition cache on the Dask engine: worker processes read and write the same cache
folder, and an incremental build there writes the bytes of a clean local build."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from tests.pipeline.test_incremental import RECIPE, build, write_log


@pytest.mark.slow
def test_workers_share_the_cache_and_rebuild_the_same_bytes(project) -> None:
    from distributed import LocalCluster

    root = project.root
    project.recipe("inc", RECIPE)
    (root / "logs").mkdir()
    write_log(root / "logs" / "a.jsonl", 0, 4000)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, memory_limit="2GiB") as cluster:
        dask = ("engine.type=dask", f"engine.address={cluster.scheduler_address}")
        build(root, *dask)
        metas = {p: p.stat().st_mtime for p in (root / "cache").glob("*/*/meta.json")
                 if json.loads(p.read_text())["kind"].startswith(("ingest", "label"))}
        assert len(metas) >= 10  # pieces and votes, written by the workers
        time.sleep(1.1)
        write_log(root / "logs" / "a.jsonl", 4000, 40)
        started = time.time()
        incremental = build(root, *dask)
    # The workers read (and so touched) every entry of the pieces and votes that did not change.
    touched = [p for p in metas if p.exists() and p.stat().st_mtime >= started - 0.5]
    assert len(touched) >= len(metas) - 2 * 4  # all but the last piece's (1 piece, 3 votes)
    shutil.rmtree(root / "data")
    shutil.rmtree(root / "cache")
    assert incremental == build(root, "engine.cache.max_size=0")
