"""Splits: any named fractions, group-aware, stable under added rows, seeded, class shares."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from builder.pipeline import runner
from builder.partitions import read_artifact
from builder.errors import FlywheelError
from builder.rows import SPLIT as SPLIT_COLUMN
from builder.splitting import assign, split_keys
from tests.conftest import REPO

REVIEWS = pd.read_csv(REPO / "recipes/data/rotten_tomatoes.csv.bz2")

RECIPE = """
defaults: [base, _self_]
name: rt
seed: 11
task: {type: text-classification, text: text, label: category, classes: [fresh, rotten, plot]}
sources:
  rt: {type: csv, path: rt*.csv}
"""


def split(project, rows: pd.DataFrame, *overrides: str, recipe: str = RECIPE):
    """Run compose, ingest, label and split over `rows`; return (split frame, split metrics)."""
    rows.to_csv(project.root / "rt.csv", index=False)
    project.recipe("rt", recipe)
    ctx = runner.compose_stage("rt", project.root, overrides)
    for name in ("ingest", "label"):
        runner.run_stage(name, ctx)
    metrics = runner.run_stage("split", ctx)
    return read_artifact(ctx.artifact("split")), metrics


def test_assignment_is_a_literal_function_of_id_and_seed() -> None:
    ids = pd.Series([f"s/{i}" for i in range(8)])
    fractions = {"train": 0.5, "dev": 0.25, "holdout": 0.25}
    assert list(assign(ids, fractions, seed=1)) == [
        "train", "train", "dev", "dev", "dev", "dev", "holdout", "train"]
    assert list(assign(ids, fractions, seed=2)) == [
        "train", "train", "dev", "holdout", "dev", "train", "dev", "train"]
    assert list(assign(ids, fractions, seed=1).categories) == ["train", "dev", "holdout"]
    # each row's split depends on its own id only: the same ids in another order agree
    assert list(assign(ids[::-1], fractions, seed=1)) == list(assign(ids, fractions, seed=1))[::-1]


def test_any_named_fractions_are_met_in_expectation() -> None:
    ids = pd.Series([f"row-{i}" for i in range(40_000)])
    fractions = {"train": 0.6, "dev": 0.15, "holdout": 0.2, "canary": 0.05}
    shares = pd.Series(assign(ids, fractions, seed=3)).value_counts(normalize=True)
    for name, fraction in fractions.items():
        assert shares[name] == pytest.approx(fraction, abs=0.01)


def test_a_different_seed_changes_the_assignment(project) -> None:
    first, _ = split(project, REVIEWS)
    second, metrics = split(project, REVIEWS, "split.seed=12")
    assert metrics["seed"] == 12
    by_id = first.set_index("_id")[SPLIT_COLUMN]
    moved = (second.set_index("_id")[SPLIT_COLUMN] != by_id.reindex(second["_id"]).values).mean()
    assert moved > 0.25  # 1 - (0.8² + 0.1² + 0.1²) = 0.34 expected


def test_adding_rows_never_moves_an_existing_row(project) -> None:
    before, _ = split(project, REVIEWS.iloc[:3000])
    after, _ = split(project, REVIEWS)
    old = before.set_index("_id")[SPLIT_COLUMN].astype(str)
    new = after.set_index("_id")[SPLIT_COLUMN].astype(str)
    assert len(old) == 3000 and len(new) == 5022
    assert (new.loc[old.index] == old).all()


def test_rows_come_out_grouped_by_split_in_the_declared_order(project) -> None:
    df, metrics = split(project, REVIEWS, "split=train_test")
    assert list(metrics["rows"]) == ["train", "test"]
    codes = pd.Categorical(df[SPLIT_COLUMN], categories=["train", "test"]).codes
    assert (np.diff(codes) >= 0).all()
    assert metrics["rows"] == {"train": int((codes == 0).sum()), "test": int((codes == 1).sum())}


def test_group_aware_split_keeps_each_movie_in_one_split(project) -> None:
    df, metrics = split(project, REVIEWS, "split.group=movie_name")
    assert df.groupby("movie_name")[SPLIT_COLUMN].nunique().max() == 1
    assert metrics["groups_spanning_splits"] == 0
    assert metrics["group"] == "movie_name"
    without, _ = split(project, REVIEWS)
    assert without.groupby("movie_name")[SPLIT_COLUMN].nunique().max() > 1


def test_rows_without_a_group_are_their_own_group() -> None:
    df = pd.DataFrame({"_id": ["a", "b", "c"], "movie": ["x", None, "x"]})
    assert split_keys(df, "movie").tolist() == ["group:x", "row:b", "group:x"]


def test_a_missing_group_column_is_named(project) -> None:
    with pytest.raises(FlywheelError, match=(  # caught before ingest reads a row
            r"split\.group: found 'movie', which is not a column of the sources; the columns "
            r"there are .*'movie_name'\. Did you mean 'movie_name'\?$")):
        split(project, REVIEWS.head(20), "split.group=movie")


def test_per_class_counts_and_shares_are_reported(project) -> None:
    df, metrics = split(project, REVIEWS)
    counts = pd.crosstab(df["category"], df[SPLIT_COLUMN].astype(str))
    for name in ("train", "validation", "test"):
        for label in ("fresh", "rotten", "plot"):
            assert metrics["counts"][name][label] == counts.loc[label, name]
            assert metrics["shares"][label][name] == round(
                counts.loc[label, name] / counts.loc[label].sum(), 4)
    assert metrics["shares"]["plot"]["train"] == pytest.approx(0.8, abs=0.1)
    assert metrics["warnings"] == []


def test_stratify_warns_about_a_class_missing_from_a_split(project) -> None:
    rows = pd.concat([REVIEWS[REVIEWS["category"] != "plot"].head(200),
                      REVIEWS[REVIEWS["category"] == "plot"].head(1)])
    df, metrics = split(project, rows)
    plot_split = df.loc[df["category"] == "plot", SPLIT_COLUMN].astype(str).item()
    assert metrics["warnings"] == [f"class 'plot' has no row in split '{s}'"
                                   for s in ("train", "validation", "test") if s != plot_split]
    _, quiet = split(project, rows, "split.stratify=false")
    assert quiet["warnings"] == []
