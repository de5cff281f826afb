"""Builds shared by the export tests (each takes a few seconds, so once per module)."""

from __future__ import annotations

import shutil

import pytest

from builder import stages
from tests.conftest import REPO


@pytest.fixture(autouse=True)
def offline_datasets(monkeypatch, tmp_path) -> None:
    """`load_dataset` offline, caching under the test's folder rather than the home folder."""
    import datasets

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # read at import time
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


def build_copy(tmp_path_factory, name: str, extra: dict[str, str] | None = None,
               overrides: tuple[str, ...] = ()) -> stages.Context:
    """Copy conf/ and recipes/ (plus `extra` files) to a fresh root and build `name` there."""
    root = tmp_path_factory.mktemp(name)
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(REPO / "recipes", root / "recipes")
    for relative, text in (extra or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return stages.build(name, root, overrides, progress=False)


@pytest.fixture(scope="module")
def credit(tmp_path_factory) -> stages.Context:
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
def types(tmp_path_factory) -> stages.Context:
    """A tiny recipe with a column of each type, built with two command-line overrides."""
    return build_copy(tmp_path_factory, "types", {"recipes/types.yaml": TYPES, "types.csv": CSV},
                      overrides=("split.seed=5", "task.classes=[neg,pos]"))
