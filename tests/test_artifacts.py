"""Atomic writes, clean-up after killed writers, and the write-behind session of `builder build`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from builder import artifacts


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_dead_writers_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "split.parquet"
    pid = dead_pid()
    (tmp_path / f".split.parquet.{pid}.ab12.tmp").write_bytes(b"half")
    (tmp_path / f".split.parquet.{pid}.cd34.tmp").mkdir()
    (tmp_path / f".split.parquet.{pid}.cd34.tmp" / "part").write_bytes(b"x")
    (tmp_path / f".split.parquet.{os.getpid()}.ef56.tmp").write_bytes(b"mine")
    (tmp_path / f".other.parquet.{pid}.gh78.tmp").write_bytes(b"not this target")

    artifacts.write_json({"a": 1}, target)

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f".other.parquet.{pid}.gh78.tmp", f".split.parquet.{os.getpid()}.ef56.tmp", "split.parquet"]


def test_a_failed_block_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    artifacts.write_json({"v": 1}, target)
    with pytest.raises(RuntimeError, match="boom"):
        with artifacts.atomic_file(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert artifacts.read_json(target) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_write_behind_serves_pending_artifacts_from_memory(tmp_path: Path) -> None:
    release = threading.Event()
    with artifacts.write_behind() as session:
        session.write(tmp_path / "blocker", None, lambda tmp: release.wait())  # holds the queue
        artifacts.write_json({"rows": 2}, tmp_path / "m.json")
        assert not (tmp_path / "m.json").exists()
        assert artifacts.read_json(tmp_path / "m.json") == {"rows": 2}
        release.set()
    assert session.pending(tmp_path / "m.json") is None
    assert artifacts.read_json(tmp_path / "m.json") == {"rows": 2}


def test_write_behind_stops_at_the_first_failed_write(tmp_path: Path) -> None:
    def fail(tmp: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        with artifacts.write_behind() as session:
            session.write(tmp_path / "first", None, fail)
            session._futures[-1].exception()  # wait until it has failed
            artifacts.write_json({"late": True}, tmp_path / "late.json")
    assert not (tmp_path / "late.json").exists()

    with pytest.raises(OSError, match="disk full"):
        with artifacts.write_behind() as session:
            session.write(tmp_path / "first", None, fail)
    assert artifacts._session is None


def test_atomic_dir_carries_over_what_the_block_did_not_write(tmp_path: Path) -> None:
    target = tmp_path / "recipe"
    (target / ".cache").mkdir(parents=True)
    (target / ".cache" / "entry").write_text("kept")
    (target / "report.html").write_text("kept")
    (target / "recipe.yaml").write_text("old")
    with artifacts.atomic_dir(target, carry_over=True) as staging:
        (staging / "recipe.yaml").write_text("new")
        assert (target / "recipe.yaml").read_text() == "old"  # nothing published yet
    assert (target / "recipe.yaml").read_text() == "new"
    assert (target / ".cache" / "entry").read_text() == "kept"
    assert (target / "report.html").read_text() == "kept"
    assert list(tmp_path.glob(".*.tmp")) == []


def test_carry_over_puts_back_what_it_moved_when_a_move_fails(tmp_path: Path,
                                                              monkeypatch) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    for name in ("a", "b", "c"):
        (old / name).write_text(name)
    real_rename, calls = os.rename, []

    def rename_twice(source, target):
        calls.append(source)
        if len(calls) == 2:
            raise OSError(18, "Invalid cross-device link")
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename_twice)
    with pytest.raises(OSError):
        artifacts._carry_over(old, new)
    assert sorted(p.name for p in old.iterdir()) == ["a", "b", "c"]
    assert list(new.iterdir()) == []
