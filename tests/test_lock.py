"""`builder.lock`: one build of a recipe at a time (issue 20, item 3)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from builder.lock import BuildLocked, build_lock, lock_path
from tests.conftest import REPO

HOLD = """
import sys, time
from pathlib import Path
from builder.lock import build_lock
with build_lock(Path(sys.argv[1]), "r"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def holder(root, seconds: float) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(root), str(seconds)],
                               cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_no_wait_fails_naming_the_holder(tmp_path) -> None:
    process = holder(tmp_path, 30)
    try:
        with pytest.raises(BuildLocked, match=r"data/r/: another build of 'r' is running "
                                              rf"\(pid {process.pid}, started .*\); expected "
                                              "one build of a recipe at a time"):
            with build_lock(tmp_path, "r", wait=False):
                pass
    finally:
        process.kill()
        process.wait()


def test_a_second_build_waits_and_says_so(tmp_path) -> None:
    process = holder(tmp_path, 1.5)
    said = []
    started = time.monotonic()
    with build_lock(tmp_path, "r", say=said.append):
        waited = time.monotonic() - started
        assert "pid" in lock_path(tmp_path, "r").read_text()
    process.wait()
    assert said and said[0].startswith("waiting for another build of 'r' to finish (pid ")
    assert waited > 0.5


def test_a_killed_holder_leaves_no_stale_lock(tmp_path) -> None:
    process = holder(tmp_path, 60)
    process.kill()
    process.wait()
    with build_lock(tmp_path, "r", wait=False):
        pass


def test_the_lock_is_reentrant_within_a_process(tmp_path) -> None:
    with build_lock(tmp_path, "r", wait=False):
        with build_lock(tmp_path, "r", wait=False):
            pass
        with build_lock(tmp_path, "r", wait=False):
            pass
