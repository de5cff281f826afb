"""The partition cache under the real `dvc repro` (issue 19, item 4): a forced rerun of an
unchanged pipeline restores every stage from the cache, and a rerun after rows are appended
writes the bytes of a forced rerun with an empty cache."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import cli_env
from tests.digests import output_digests
from tests.test_dvc import repo  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def repro(cwd: Path, *args: str) -> None:
    env = cli_env()
    env["PYTHONPATH"] = str(cwd)
    done = subprocess.run([sys.executable, "-m", "dvc", "repro", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"dvc repro failed:\n{done.stdout}\n{done.stderr}"


def outputs(root: Path) -> dict[str, str]:
    """sha256 of every file the build wrote under data/tiny/."""
    return output_digests(root / "data" / "tiny")


def test_dvc_repro_restores_unchanged_stages_and_rebuilds_the_same_bytes(repo: Path) -> None:
    repro(repo)
    first = outputs(repo)
    cache = repo / "data" / "tiny" / ".cache" / "partitions"
    stages = [p for p in cache.glob("*/*/meta.json")
              if json.loads(p.read_text())["kind"] == "whole stages"]
    assert len(stages) == 5  # ingest to export, each stored by its `builder stage` process
    time.sleep(1.1)
    started = time.time()
    repro(repo, "-f")  # DVC removes every output and runs every stage again
    assert outputs(repo) == first
    assert all(p.stat().st_mtime >= started - 0.5 for p in stages)  # each one restored
    data = repo / "recipes" / "data" / "tiny.csv"
    lines = data.read_text().splitlines(keepends=True)
    data.write_text("".join(lines) + "".join(lines[1:21]))  # repeats: renumbered ids
    repro(repo)
    incremental = outputs(repo)
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    repro(repo, "-f")
    assert outputs(repo) == incremental
