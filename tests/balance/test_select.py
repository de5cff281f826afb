"""Balance selection by cross-validated efficacy (`balance.strategy: auto`, `balance.select`)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from builder.balance import folds as folding
from builder.balance.candidates import candidate, candidates, names, shrunk
from builder.balance.choose import check_folds, pick, standard_error
from builder.balance.config import SelectConfig
from builder.errors import RecipeError
from tests.recipe_text import tabular_problems as problems


def frame(n: int = 600, share: float = 0.1, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random(n) < share, "bad", "good")
    return pd.DataFrame({"_id": [f"r{i}" for i in range(n)], "label": labels})


def test_folds_are_stable_under_row_order_and_stratified() -> None:
    df = frame()
    keys = folding.row_keys(df["_id"], None, seed=3)
    numbers = folding.fold_numbers(df["label"].to_numpy(), keys, 3)
    shuffled = df.sample(frac=1.0, random_state=1)
    keys2 = folding.row_keys(shuffled["_id"], None, seed=3)
    numbers2 = folding.fold_numbers(shuffled["label"].to_numpy(), keys2, 3)
    assert dict(zip(df["_id"], numbers)) == dict(zip(shuffled["_id"], numbers2))
    for name in ("bad", "good"):
        per_fold = np.bincount(numbers[df["label"] == name], minlength=3)
        assert per_fold.max() - per_fold.min() <= 1
    other = folding.fold_numbers(df["label"].to_numpy(), folding.row_keys(df["_id"], None, 4), 3)
    assert (other != numbers).any()  # the seed decides


def test_group_folds_keep_each_group_in_one_fold() -> None:
    df = frame()
    df["movie"] = [f"m{i // 4}" for i in range(len(df))]
    keys = folding.row_keys(df["_id"], df["movie"], seed=3)
    numbers = folding.fold_numbers(df["label"].to_numpy(), keys, 3, grouped=True)
    assert (pd.Series(numbers).groupby(df["movie"]).nunique() == 1).all()
    assert len(set(numbers)) == 3


def test_sample_is_stratified_and_bounded() -> None:
    df = frame(5000, 0.05)
    labels = df["label"].to_numpy()
    chosen = folding.sample(labels, folding.row_keys(df["_id"], None, 1), 1000, 6)
    assert len(chosen) <= 1001
    share = (labels[chosen] == "bad").mean()
    assert abs(share - (labels == "bad").mean()) < 0.01
    assert (np.diff(chosen) > 0).all()


def recipe(task: str = "tabular-classification", generator: str | None = "gaussian_copula"):
    return SimpleNamespace(task=SimpleNamespace(type=task),
                           synthetic=SimpleNamespace(generator=generator, mode="augment"))


def test_candidates_come_from_the_registry_simplest_first() -> None:
    # Simpler is keeping more real rows as they are: over-sampling keeps every one,
    # under-sampling drops some, the rest invent rows.
    assert names(recipe()) == ["keep", "oversample", "undersample", "smote", "synthetic"]
    # Without a generator there is no synthetic candidate; a text task has no smote either.
    assert names(recipe(generator=None)) == ["keep", "oversample", "undersample", "smote"]
    assert names(recipe("text-classification", None)) == ["keep", "oversample", "undersample"]
    assert "augment" in names(recipe("image-classification", None))


def test_candidates_are_distinct_plans() -> None:
    before = {"good": 900, "bad": 100}
    targets = {"good": 900, "bad": 900}
    found = candidates(before, targets, names(recipe()))
    assert [c.name for c in found] == ["keep", "oversample", "undersample", "smote", "synthetic"]
    assert found[2].targets == {"good": 100, "bad": 100}
    assert found[3].strategies == {"good": "keep", "bad": "smote"}
    # Classes already balanced: undersampling is keeping, so it is no candidate of its own.
    same = candidates({"a": 50, "b": 50}, {"a": 50, "b": 50}, names(recipe()))
    assert [c.name for c in same] == ["keep"]


def test_candidate_falls_back_for_small_classes() -> None:
    grown = candidate("synthetic", {"good": 900, "bad": 10}, {"good": 900, "bad": 900})
    assert grown.strategies["bad"] == "smote"  # a generator needs 20 rows of the class
    assert shrunk({"a": 10, "b": 50}, {"a": 60, "b": 60}) == {"a": 10, "b": 10}


def test_pick_prefers_the_simpler_plan_within_tolerance() -> None:
    scores = {"keep": 0.700, "undersample": 0.741, "oversample": 0.745, "smote": 0.744}
    assert pick(scores, 0.005) == ("oversample", "undersample")
    assert pick(scores, 0.0) == ("oversample", "oversample")
    assert pick({"keep": 0.8, "smote": 0.81}, 0.02) == ("smote", "keep")
    assert pick({"keep": 0.8, "smote": 0.81}, 0.005) == ("smote", "smote")


def test_pick_prefers_the_simpler_plan_within_the_best_ones_standard_error() -> None:
    # credit_data's fold scores (bench/balance.py): under-sampling's mean is 0.010 above
    # over-sampling's, less than its own standard error over the three folds.
    folds = {"keep": [0.7112, 0.7208, 0.7052], "oversample": [0.7311, 0.748, 0.7314],
             "undersample": [0.7447, 0.7664, 0.7294]}
    means = {n: float(np.mean(v)) for n, v in folds.items()}
    spread = {n: standard_error(v) for n, v in folds.items()}
    assert round(spread["undersample"], 4) == 0.0107
    assert pick(means, 0.005) == ("undersample", "undersample")
    assert pick(means, 0.005, spread) == ("undersample", "oversample")
    # A narrower spread than the tolerance leaves the tolerance in charge.
    assert pick({"keep": 0.8, "smote": 0.81}, 0.005, {"smote": 0.001}) == ("smote", "smote")
    assert standard_error([0.5]) == 0.0


def test_bad_folds_is_a_recipe_error_naming_the_key() -> None:
    with pytest.raises(RecipeError, match=r"balance.select.folds: found 5, but class 'bad' has 4"):
        check_folds(SelectConfig(folds=5), {"good": 100, "bad": 4}, "recipes/x.yaml")


def test_small_class_falls_back_to_the_rule_based_planner() -> None:
    reason = check_folds(SelectConfig(), {"good": 100, "bad": 4}, "recipes/x.yaml")
    assert reason is not None and "class 'bad' has 4 train rows" in reason
    assert check_folds(SelectConfig(), {"good": 100, "bad": 40}, "recipes/x.yaml") is None


def test_bad_select_settings_are_recipe_errors_naming_the_key(project) -> None:
    text = problems(project, """
        balance:
          target: balanced
          select: {metric: accuracy, folds: 1, tolerance: 2, max_rows: 10}
    """)
    assert ("balance.select.metric: found 'accuracy', expected one of 'balanced_accuracy', "
            "'f1_minority' or 'roc_auc'.") in text
    assert "balance.select.folds: found 1, expected at least 2 folds." in text
    assert "balance.select.tolerance: found 2" in text
    assert "balance.select.max_rows: found 10" in text


def test_f1_minority_and_roc_auc_score_the_minority() -> None:
    from builder.balance.scores import score

    truth = np.array(["a", "a", "b", "b"])
    assert score("f1_minority")(truth, np.array(["a", "b", "b", "b"]), None, ["a", "b"],
                                "a") == pytest.approx(2 / 3)
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.7, 0.3]])
    assert score("roc_auc")(truth, None, proba, ["a", "b"], "a") == pytest.approx(0.75)
