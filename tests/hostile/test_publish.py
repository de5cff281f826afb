"""A build's outputs are published together (issue 20, item 3): `builder build` writes every
stage into a staging folder beside `data/<recipe>/` and swaps it in at the end, so a build that
is killed or fails leaves the previous build's outputs, all of them (`recipe.yaml` included),
and two builds racing leave exactly one build's outputs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import cli_env
from tests.digests import output_digests
from tests.hostile.conftest import cli, rows_csv

pytestmark = pytest.mark.slow


def outputs(data: Path) -> dict[str, str]:
    """sha256 of every file under `data/<recipe>/` but the caches, `engine.yaml` included."""
    return output_digests(data, ignore=(".hashes.json",))


def staging(root: Path) -> list[Path]:
    """The staging folders of builds of `tiny` (`data/.tiny.<pid>.<random>.tmp`)."""
    return sorted((root / "data").glob(".tiny.*.tmp"))


def start(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "builder", *args], cwd=root, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_killed_build_leaves_the_previous_build_whole(tiny) -> None:
    (tiny.root / "shop.csv").write_text(rows_csv(20000))
    cli(tiny.root, "build", "tiny", "--quiet", code=0)
    data = tiny.root / "data/tiny"
    (data / "queue").mkdir()  # written by another command (label export): kept by builds
    (data / "queue/tasks.json").write_text("[]\n")
    before = outputs(data)
    assert "recipe.yaml" in before and "hub/README.md" in before
    cached = {p for p in (data / ".cache").rglob("*") if p.is_file()}
    assert cached  # the partition cache's entries: linked into the staging folder, not removed

    build = start(tiny.root, "build", "tiny", "--quiet", "split.seed=7")
    deadline = time.monotonic() + 120
    while not any((folder / "ingested").is_dir() for folder in staging(tiny.root)):
        assert build.poll() is None, build.communicate()
        assert time.monotonic() < deadline, "the build never finished its ingest stage"
        time.sleep(0.002)
    build.send_signal(signal.SIGKILL)
    assert build.wait() == -signal.SIGKILL
    assert outputs(data) == before  # recipe.yaml, metrics, card, dataset: the previous build's
    assert staging(tiny.root)  # the killed build's, removed by the next one

    cli(tiny.root, "build", "tiny", "--quiet", "split.seed=7", code=0)
    assert staging(tiny.root) == []
    after = outputs(data)
    assert after["recipe.yaml"] != before["recipe.yaml"]
    assert after["queue/tasks.json"] == before["queue/tasks.json"]
    assert "seed: 7" in (data / "recipe.yaml").read_text()
    assert (data / ".cache").is_dir() and not (data / ".cache").is_symlink()
    assert {p for p in cached if p.name != "files.json"} <= set((data / ".cache").rglob("*"))


def test_a_failing_build_leaves_the_previous_build_whole(tiny) -> None:
    cli(tiny.root, "build", "tiny", "--quiet", code=0)
    data = tiny.root / "data/tiny"
    before = outputs(data)
    ending = cli(tiny.root, "build", "tiny", "--quiet", "split.seed=9", "checks.min_rows=100",
                 code=2)
    assert "fewer than checks.min_rows (100)" in ending.err
    assert outputs(data) == before
    assert staging(tiny.root) == []


def test_racing_builds_leave_exactly_one_build(tiny) -> None:
    """Two builds with different overrides, started together: `data/tiny/` ends up byte for
    byte what one of them writes alone (reproducible builds: the same bytes each time)."""
    (tiny.root / "shop.csv").write_text(rows_csv(3000))
    data = tiny.root / "data/tiny"
    alone = {}
    for seed in ("1", "2"):
        cli(tiny.root, "build", "tiny", "--quiet", f"split.seed={seed}", code=0)
        alone[seed] = outputs(data)
    assert alone["1"]["recipe.yaml"] != alone["2"]["recipe.yaml"]
    assert alone["1"]["metrics.json"] != alone["2"]["metrics.json"]
    for _ in range(2):
        builds = [start(tiny.root, "build", "tiny", "--quiet", f"split.seed={seed}")
                  for seed in ("1", "2")]
        for build in builds:
            out, err = build.communicate(timeout=600)
            assert build.returncode == 0, err
        assert outputs(data) in (alone["1"], alone["2"])
        assert staging(tiny.root) == []


def test_a_recipe_folder_that_is_a_mount_point_fails_before_the_stages_run(tiny) -> None:
    import os
    import shutil

    from tests.hostile.conftest import run_with

    if os.geteuid() != 0 or shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs root and mount namespaces to bind-mount data/tiny")
    cli(tiny.root, "build", "tiny", "--quiet", code=0)
    data = tiny.root / "data/tiny"
    before = outputs(data)
    mounted = ["unshare", "-m", "sh", "-c", f'mount --bind "{data}" "{data}" && exec "$@"', "sh"]
    ending = run_with(tiny.root, mounted, {}, "build", "tiny", "--quiet", "split.seed=4")
    assert ending.code == 2
    assert "data/tiny: a mount point of its own" in ending.err
    assert outputs(data) == before and staging(tiny.root) == []
