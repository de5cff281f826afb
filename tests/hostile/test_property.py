"""Property: whatever a recipe holds, the CLI ends in exit 0 or exit 2 with a message, never a
traceback (issue 20, item 8). Recipes are the examples with their keys, types and values
mutated by Hypothesis; most are validated, a few built on tiny data."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.cli import main
from tests.conftest import REPO
from tests.hostile.conftest import TINY, rows_csv

EXAMPLES = ("reviews", "credit", "churn_release")

#: Values of every YAML type, and the strings users get wrong.
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(allow_nan=True),
    st.sampled_from(["", "yes", "no", "on", "off", "auto", "text", "label", "drop", "keep",
                     "${task.text}", "${nowhere}", "${", "}", "[", "a: b", "~", "*.csv",
                     "recipes/data/credit_data.csv", "../../etc/passwd", "é" * 3, "x" * 300]),
    st.text(max_size=12),
    st.lists(st.sampled_from(["text", "label", 1, None, True]), max_size=3),
    st.dictionaries(st.sampled_from(["type", "a", "text", "yes", "1"]),
                    st.sampled_from(["csv", "dedup", 1, None, "x"]), max_size=2),
)


def paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a nested structure of dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += paths(value, (*prefix, i))
    return found


def typo(key: str, draw) -> str:
    """A near miss of `key`: a letter dropped, doubled or swapped, or the case changed."""
    if not key:
        return "x"
    i = draw(st.integers(0, len(key) - 1))
    kind = draw(st.sampled_from(["drop", "double", "swap", "case"]))
    if kind == "drop":
        return key[:i] + key[i + 1:] or "x"
    if kind == "double":
        return key[:i] + key[i] + key[i:]
    if kind == "swap" and i + 1 < len(key):
        return key[:i] + key[i + 1] + key[i] + key[i + 2:]
    return key.swapcase()


@st.composite
def mutated(draw, base: dict) -> dict:
    """`base` with one to three mutations: a value replaced, a key removed, renamed or added."""
    import copy

    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        where = paths(data)
        if not where:
            break
        path = draw(st.sampled_from(where))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        leaf = path[-1]
        kind = draw(st.sampled_from(["value", "value", "delete", "rename", "add"]))
        if kind == "value":
            parent[leaf] = draw(VALUES)
        elif kind == "delete":
            del parent[leaf]
        elif kind == "rename" and isinstance(parent, dict):
            parent[typo(str(leaf), draw)] = parent.pop(leaf)
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "on", "yes", "columns", "type", "seed"]))] = \
                draw(VALUES)
    return data


def ends_cleanly(root: Path, *args: str) -> int:
    """Run the CLI in this process; any exception but a handled one fails the test."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--root", str(root), *args])
    assert code in (0, 2), (code, err.getvalue())
    if code == 2:
        assert err.getvalue().startswith("error: ") and len(err.getvalue()) > 20
    return code


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("examples")
    shutil.copytree(REPO / "conf", root / "conf")
    shutil.copytree(REPO / "recipes", root / "recipes")
    return root


@pytest.mark.slow
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_examples_validate_or_fail_cleanly(examples, data, monkeypatch) -> None:
    monkeypatch.chdir(examples)
    name = data.draw(st.sampled_from(EXAMPLES))
    base = yaml.safe_load((REPO / "recipes" / f"{name}.yaml").read_text())
    recipe = data.draw(mutated(base))
    (examples / "recipes" / f"{name}.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False))
    ends_cleanly(examples, "validate", name)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(EXAMPLES), key=st.sampled_from(
    ["seed", "split.seed", "task.label", "task.text", "split.group", "labeling.unlabeled",
     "transforms", "sources", "task.classes", "balance.target.counts", "checks.min_rows",
     "splt.seed", "+extra", "split", "engine", "publish.license"]), value=VALUES)
def test_mutated_overrides_validate_or_fail_cleanly(examples, monkeypatch, name, key,
                                                    value) -> None:
    monkeypatch.chdir(examples)
    shutil.copy(REPO / "recipes" / f"{name}.yaml", examples / "recipes" / f"{name}.yaml")
    text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...")
    ends_cleanly(examples, "validate", name, f"{key}={text}")


@pytest.mark.slow
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_tiny_recipes_build_or_fail_cleanly(tmp_path_factory, data) -> None:
    root = tmp_path_factory.mktemp("tiny")
    shutil.copytree(REPO / "conf", root / "conf")
    (root / "recipes").mkdir()
    (root / "shop.csv").write_text(rows_csv())
    recipe = data.draw(mutated(yaml.safe_load(TINY)))
    recipe["name"] = "tiny"
    (root / "recipes/tiny.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        ends_cleanly(root, "build", "tiny", "--quiet")
