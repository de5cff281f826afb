"""The real `dvc repro` over dvc.yaml in a temporary git repository: only the stages whose recipe
sections or inputs changed run again."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, cli_env, copy_tracked_files, pipeline_for

pytestmark = [pytest.mark.slow, pytest.mark.integration]

STAGES = ("compose", "ingest", "label", "split", "augment", "export")

RECIPE = """\
# A few hundred rows of the credit example, for the DVC test.
defaults: [base, _self_]
name: tiny
seed: 3
task: {type: tabular-classification, label: Status, classes: [good, bad]}
sources:
  credit: {type: csv, path: recipes/data/tiny.csv, cast: {Home: category}}
transforms:
  adults: {type: filter, query: "Age >= 18"}
"""


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def dvc_repro(cwd: Path) -> tuple[set[str], set[str]]:
    """Run `dvc repro`; return the stages it ran and the stages it skipped (names without @)."""
    env = cli_env()
    env["PYTHONPATH"] = str(cwd)
    done = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=cwd, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"dvc repro failed:\n{done.stdout}\n{done.stderr}"
    ran = set(re.findall(r"Running stage '(\w+)@tiny'", done.stdout))
    skipped = set(re.findall(r"Stage '(\w+)@tiny' didn't change, skipping", done.stdout))
    assert ran | skipped == set(STAGES), done.stdout
    return ran, skipped


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the project's files and dvc.yaml restricted to a tiny recipe."""
    root = copy_tracked_files(tmp_path / "repo")
    lines = (REPO / "recipes" / "data" / "credit_data.csv").read_text().splitlines(keepends=True)
    (root / "recipes" / "data" / "tiny.csv").write_text("".join(lines[:301]))
    (root / "recipes" / "tiny.yaml").write_text(RECIPE)
    (root / "dvc.yaml").write_text(pipeline_for(["tiny"]))
    git("init", "-q", cwd=root)
    git("-c", "user.name=test", "-c", "user.email=test@example.invalid", "add", "-A", cwd=root)
    git("-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-qm", "copy",
        cwd=root)
    return root


def test_repro_reruns_only_the_stages_whose_sections_or_inputs_changed(repo: Path) -> None:
    ran, _ = dvc_repro(repo)
    assert ran == set(STAGES)
    assert (repo / "dvc.lock").is_file()
    assert (repo / "data" / "tiny" / "hub" / "README.md").is_file()

    ran, skipped = dvc_repro(repo)
    assert ran == {"compose"}, "compose always runs; nothing else changed"
    assert skipped == set(STAGES) - {"compose"}

    split_metrics = repo / "data" / "tiny" / "metrics" / "split.json"
    before = json.loads(split_metrics.read_text())["rows"]
    recipe = repo / "recipes" / "tiny.yaml"
    recipe.write_text(RECIPE + "split:\n  fractions: {train: 0.5, validation: 0.25, test: 0.25}\n")
    ran, skipped = dvc_repro(repo)
    assert ran == {"compose", "split", "augment", "export"}
    assert skipped == {"ingest", "label"}
    after = json.loads(split_metrics.read_text())["rows"]
    assert sum(after.values()) == sum(before.values()) and after["train"] < before["train"]

    data = repo / "recipes" / "data" / "tiny.csv"
    data.write_text("".join(data.read_text().splitlines(keepends=True)[:-10]))
    ran, _ = dvc_repro(repo)
    assert {"ingest", "label", "split", "augment", "export"} <= ran
