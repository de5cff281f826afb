"""Fixtures for the export tests: built examples, offline `datasets`, a Hub API server on
127.0.0.1."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from builder.context import Context
from builder.pipeline import runner
from tests.conftest import REPO, Project, cli_env, share_cache
from tests.hub_server import HubServer


@pytest.fixture(autouse=True)
def offline_datasets(monkeypatch, tmp_path) -> None:
    """`load_dataset` offline, caching under the test's folder rather than the home folder."""
    import datasets

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # read at import time
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


def build_copy(tmp_path_factory, name: str, extra: dict[str, str] | None = None,
               overrides: tuple[str, ...] = ()) -> Context:
    """Copy conf/ and recipes/ (plus `extra` files) to a fresh root and build `name` there."""
    root = tmp_path_factory.mktemp(name)
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(REPO / "recipes", root / "recipes")
    share_cache(root)
    for relative, text in (extra or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return runner.build(name, root, overrides, progress=False)


@pytest.fixture(scope="module")
def credit(tmp_path_factory) -> Context:
    """The real `credit` example (mixed types, missing values, category casts), built."""
    return build_copy(tmp_path_factory, "credit")


TYPES = """
defaults: [base, _self_]
name: types
task: {type: tabular-classification, label: label, classes: [neg, pos]}
sources:
  shop:
    type: csv
    path: types.csv
    key: [id]
    cast: {count: int, flag: bool, city: category, when: datetime}
split: {fractions: {train: 1.0, validation: null, test: null}}
"""
CSV = ("id,text,count,score,flag,city,when,label\n"
       "1,good,3,0.5,true,Paris,2026-01-02,pos\n"
       "2,bad,,1.5,false,Lyon,2026-01-03 10:30,neg\n"
       "3,fine,7,,yes,,2026-01-04,pos\n")


@pytest.fixture(scope="module")
def types(tmp_path_factory) -> Context:
    """A tiny recipe with a column of each type, built with two command-line overrides."""
    return build_copy(tmp_path_factory, "types", {"recipes/types.yaml": TYPES, "types.csv": CSV},
                      overrides=("split.seed=5", "task.classes=[neg,pos]"))


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A Hub server; HF_ENDPOINT, HF_TOKEN and a private HF_HOME point the client at it."""
    import datasets
    import huggingface_hub.constants

    token = "hf_test_" + secrets.token_hex(12)
    with HubServer(token) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        monkeypatch.setenv("HF_TOKEN", token)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
        monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        # The client reads these once, at import: set them for this process too.
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)  # undo offline_datasets
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", server.endpoint)
        monkeypatch.setattr(huggingface_hub.constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                            server.endpoint + "/{repo_id}/resolve/{revision}/{filename}")
        yield server


def hub_env(server: HubServer, home: Path, token: str | None = None) -> dict[str, str]:
    """The environment of a subprocess that talks to `server` (HF_HUB_OFFLINE removed)."""
    env = cli_env()
    env.pop("HF_HUB_OFFLINE", None)
    env.update(HF_ENDPOINT=server.endpoint, HF_HOME=str(home), HF_HUB_DISABLE_XET="1",
               HF_HUB_DISABLE_TELEMETRY="1", HF_TOKEN=token or server.state.token)
    return env


def run_python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a Python snippet in a fresh interpreter (the Hub client reads HF_ENDPOINT at import)."""
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise AssertionError(f"snippet failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def built_reviews(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The `reviews` example (real Rotten Tomatoes rows, a prediction log, a label batch), built
    once; tests must not change it."""
    root = tmp_path_factory.mktemp("reviews_project")
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(REPO / "recipes", root / "recipes")
    share_cache(root)
    shutil.copytree(REPO / "labels", root / "labels")
    previous = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        runner.build("reviews", root, progress=False)
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_OFFLINE")
        else:
            os.environ["HF_HUB_OFFLINE"] = previous
    return Project(root)


@pytest.fixture
def reviews_copy(built_reviews: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A private copy of the built example that a test may rebuild or edit."""
    root = tmp_path / "project"
    shutil.copytree(built_reviews.root, root, symlinks=True)
    monkeypatch.chdir(root)
    return Project(root)
