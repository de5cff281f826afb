"""A stage killed with SIGKILL mid-write, or failing with an exception, leaves the previous outputs
whole and loadable; the next run of the stage removes what the killed one left behind."""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from builder import artifacts

from builder.pipeline import runner
from tests.conftest import REPO, cli_env, run_cli

pytestmark = pytest.mark.slow

ROWS = 300_000
RECIPE = """\
defaults: [base, _self_]
name: big
seed: 5
task: {type: text-classification, text: text, label: label, classes: [neg, pos]}
sources:
  rows: {type: csv, path: recipes/data/big.csv, key: [id]}
"""
EXPORT_OUTPUTS = ("dataset", "hub", "README.md", "metrics.json")


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    words = pa.array([f"w{i}" for i in range(3000)]).take(rng.integers(0, 3000, size=rows * 8))
    offsets = pa.array(np.arange(0, rows * 8 + 1, 8, dtype=np.int32))
    table = pa.table({
        "id": np.arange(rows),
        "text": pc.binary_join(pa.ListArray.from_arrays(offsets, words), " "),
        "score": rng.normal(size=rows),
        "label": pa.array(np.array(["neg", "pos"])[rng.integers(0, 2, size=rows)]),
    })
    pcsv.write_csv(table, path)


def snapshot(data: Path, names) -> dict[str, str]:
    """sha256 of every file under the named outputs of `data/big/`."""
    digests = {}
    for name in names:
        target = data / name
        files = [target] if target.is_file() else sorted(p for p in target.rglob("*") if p.is_file())
        for path in files:
            digests[str(path.relative_to(data))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def leftovers(data: Path) -> list[str]:
    return sorted(p.name for p in data.glob(".*.tmp"))


def assert_loadable(data: Path) -> None:
    import datasets

    from builder.partitions import Partitions

    saved = datasets.load_from_disk(str(data / "dataset"))
    hub = datasets.load_dataset(str(data / "hub"))
    assert {s: d.num_rows for s, d in saved.items()} == {s: d.num_rows for s, d in hub.items()}
    assert sum(d.num_rows for d in saved.values()) == ROWS
    for name in ("ingested", "labeled", "split", "augmented"):
        parts = Partitions.open(data / name)
        assert parts.count and sum(parts.rows(i) for i in range(parts.count)) == ROWS


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("atomic")
    shutil.copytree(REPO / "conf", root / "conf")
    (root / "recipes" / "data").mkdir(parents=True)
    (root / "recipes" / "big.yaml").write_text(RECIPE)
    write_csv(root / "recipes" / "data" / "big.csv", ROWS)
    run_cli("build", "big", "--quiet", cwd=root, check=True)
    return root


@pytest.fixture
def project(built_once: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built project, so that each test starts from whole outputs."""
    root = tmp_path / "project"
    shutil.copytree(built_once, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return root


def kill_when(root: Path, stage: str, started_writing) -> subprocess.CompletedProcess | int:
    """Run `builder stage STAGE big`; SIGKILL it as soon as `started_writing()` is true."""
    process = subprocess.Popen([sys.executable, "-m", "builder", "stage", stage, "big"], cwd=root,
                               env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not started_writing():
        assert process.poll() is None, f"{stage} ended before it was killed: {process.stderr.read()}"
        assert time.monotonic() < deadline, f"{stage} never started writing"
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    return process.wait()


def test_export_killed_mid_write_leaves_previous_outputs_whole(project: Path) -> None:
    data = project / "data" / "big"
    # A new split seed: the next export would write different bytes everywhere.
    for args in (("stage", "compose", "big", "split.seed=99"), ("stage", "split", "big"),
                 ("stage", "augment", "big")):
        run_cli(*args, cwd=project, check=True)
    before = snapshot(data, EXPORT_OUTPUTS)

    def writing_shards() -> bool:
        return any(p.is_file() for tmp in data.glob(".hub.*.tmp") for p in tmp.rglob("*"))

    assert kill_when(project, "export", writing_shards) == -signal.SIGKILL
    assert snapshot(data, EXPORT_OUTPUTS) == before
    assert_loadable(data)
    assert any(name.startswith(".hub.") for name in leftovers(data))

    run_cli("stage", "export", "big", cwd=project, check=True)
    assert leftovers(data) == []
    after = snapshot(data, EXPORT_OUTPUTS)
    assert after.keys() == before.keys() and after["metrics.json"] != before["metrics.json"]
    assert_loadable(data)


def test_ingest_killed_mid_write_leaves_the_previous_artifact(project: Path) -> None:
    data = project / "data" / "big"
    write_csv(project / "recipes" / "data" / "big.csv", ROWS, seed=1)  # new input, new artifact
    # Small partitions: the stage writes many parts, so it is caught while writing them.
    run_cli("stage", "compose", "big", "engine.partition_size=256KiB", cwd=project, check=True)
    before = snapshot(data, ["ingested"])

    def writing_artifact() -> bool:
        return any(p.stat().st_size > 0 for tmp in data.glob(".ingested.*.tmp")
                   for p in tmp.glob("part-*.arrow"))

    assert kill_when(project, "ingest", writing_artifact) == -signal.SIGKILL
    assert snapshot(data, ["ingested"]) == before
    assert_loadable(data)
    assert any(name.startswith(".ingested.") for name in leftovers(data))

    run_cli("stage", "ingest", "big", cwd=project, check=True)
    assert leftovers(data) == []
    assert snapshot(data, ["ingested"]) != before


def test_failing_stages_leave_previous_outputs_whole(project: Path, monkeypatch) -> None:
    from builder import splitting
    from builder.export import card

    data = project / "data" / "big"
    run_cli("stage", "compose", "big", "split.seed=42", cwd=project, check=True)
    artifacts_before = snapshot(data, ["split", "augmented"])
    outputs_before = snapshot(data, EXPORT_OUTPUTS)
    ctx = runner.open_context("big", project)

    def broken_write(frame, path, groups=None):
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(splitting, "write_part", broken_write)
        with pytest.raises(OSError, match="disk full"):
            runner.run_stage("split", ctx)
    assert snapshot(data, ["split", "augmented"]) == artifacts_before

    runner.run_stage("split", ctx)
    runner.run_stage("augment", ctx)
    changed = snapshot(data, ["split", "augmented"])

    def broken_card(*args, **kwargs):
        raise RuntimeError("card failed")

    monkeypatch.setattr(card, "render_card", broken_card)
    with pytest.raises(RuntimeError, match="card failed"):
        runner.run_stage("export", ctx)
    assert snapshot(data, EXPORT_OUTPUTS) == outputs_before
    assert changed != artifacts_before
    assert leftovers(data) == []
    assert_loadable(data)


def test_a_failed_background_write_fails_the_build_and_skips_later_writes(project: Path,
                                                                          monkeypatch) -> None:
    """Metrics files are written in the background by `builder build`: when one fails, the
    build fails and the metrics queued after it are not written."""
    data = project / "data" / "big"
    run_cli("stage", "compose", "big", "split.seed=43", cwd=project, check=True)
    outputs = ["metrics/split.json", "metrics/augment.json", *EXPORT_OUTPUTS]
    before = snapshot(data, outputs)
    real_write = artifacts.WriteBehind.write

    def failing_for_split(self, target, data, write_to):
        def write_or_fail(tmp):
            raise OSError("disk full")

        broken = target.name == "split.json"
        real_write(self, target, data, write_or_fail if broken else write_to)

    monkeypatch.setattr(artifacts.WriteBehind, "write", failing_for_split)
    with pytest.raises(OSError, match="disk full"):
        runner.build("big", project, ["split.seed=43"], progress=False)
    assert snapshot(data, outputs) == before
    assert leftovers(data) + leftovers(data / "metrics") == []
