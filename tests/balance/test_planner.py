"""The auto planner's choices and reasons, and checks of strategies a recipe names."""

from __future__ import annotations

import pytest

from builder.balance.planner import TableProfile, apply_global, choose, plan_classes
from builder.errors import DataError

MIXED = TableProfile(numeric=9, categorical=4, generator=None)
WITH_MODEL = TableProfile(numeric=9, categorical=4, generator="gaussian_copula")


def test_auto_keeps_and_undersamples() -> None:
    assert choose(100, 100, MIXED) == ("keep", "already at its target of 100 rows")
    assert choose(100, 60, MIXED) == (
        "undersample", "target 60 is below its 100 rows: random rows are left out")


def test_auto_duplicates_tiny_classes_and_text() -> None:
    strategy, reason = choose(4, 40, MIXED)
    assert strategy == "oversample"
    assert reason == ("only 4 rows, fewer than the 6 SMOTE needs (k_neighbors 5 + 1), so rows "
                      "are duplicated")
    text = TableProfile(numeric=0, categorical=0, text_column="text")
    assert choose(100, 300, text)[0] == "oversample"
    assert "free text (column 'text')" in choose(100, 300, text)[1]


def test_auto_prefers_the_generator_for_large_growth_only() -> None:
    assert choose(100, 250, WITH_MODEL)[0] == "synthetic"
    assert choose(100, 250, WITH_MODEL)[1].startswith("needs 2.5x its 100 rows")
    strategy, reason = choose(100, 150, WITH_MODEL)
    assert (strategy, reason.split(";")[1].strip()) == ("smote", "growth 1.5x is within 2x")
    assert choose(100, 250, MIXED)[0] == "smote"  # no generator configured
    assert choose(10, 250, WITH_MODEL)[0] == "smote"  # too few rows to fit a model on


def test_smote_variant_follows_column_kinds() -> None:
    assert TableProfile(numeric=3, categorical=0).smote_variant == "SMOTE"
    assert TableProfile(numeric=3, categorical=2).smote_variant == "SMOTENC"
    assert TableProfile(numeric=0, categorical=2).smote_variant == "SMOTEN"
    # missing numbers get a categorical flag each, so SMOTENC
    assert TableProfile(numeric=3, categorical=0, missing_numbers=True).smote_variant == "SMOTENC"


def test_plan_mixes_recipe_and_auto_choices() -> None:
    plans = plan_classes({"good": 700, "bad": 250}, {"good": 500, "bad": 500},
                         {"good": "undersample"}, {"good": "balance.strategy.good"}, MIXED)
    assert [(p.name, p.strategy, p.chosen_by, p.change) for p in plans] == [
        ("good", "undersample", "recipe", -200), ("bad", "smote", "auto", 250)]


@pytest.mark.parametrize(("strategy", "before", "target", "message"), [
    ("undersample", 10, 20, r"balance\.strategy\.bad: class 'bad' has 10 train rows and a "
                            r"target of 20, but 'undersample' can only remove rows"),
    ("smote", 30, 20, r"but 'smote' can only add rows. Expected undersample or auto"),
    ("keep", 30, 20, r"but 'keep' leaves it at 30. Expected a strategy that removes rows"),
    ("smote", 1, 20, r"SMOTE interpolates between two rows of a class and there is 1"),
    ("synthetic", 5, 20, r"a generator needs at least 20 rows of a class to learn from"),
])
def test_impossible_recipe_strategies_name_the_key(strategy, before, target, message) -> None:
    with pytest.raises(DataError, match=message):
        plan_classes({"bad": before}, {"bad": target}, {"bad": strategy},
                     {"bad": "balance.strategy.bad"}, WITH_MODEL)


def test_one_strategy_for_all_applies_where_it_points_the_right_way() -> None:
    assert apply_global("smote", {"a": 10, "b": 50, "c": 30}, {"a": 30, "b": 30, "c": 30}) == {
        "a": "smote", "b": "auto", "c": "auto"}
    assert apply_global("undersample", {"a": 10}, {"a": 30}) == {"a": "undersample"}
