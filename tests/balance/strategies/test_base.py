"""The strategy registry: the recipe's choices, the origins and the messages follow it, and a
strategy registered by a new module is a recipe choice the planner and the selection use."""

from __future__ import annotations

import numpy as np
import pytest

from builder.balance.config import STRATEGIES, strategy_names
from builder.balance.origins import copied_origins, generated_origins, origins
from builder.balance.planner import TableProfile, apply_global, plan_classes
from builder.balance.selection import select
from builder.balance.strategies.base import Choice, Strategy, expected
from builder.errors import DataError
from builder.recipe.compose import load
from tests.recipe_text import tabular_problems as problems
from tests.recipe_text import write_tabular as recipe

PROFILE = TableProfile(numeric=2, categorical=1)


def test_the_registry_gives_the_choices_origins_and_messages() -> None:
    assert STRATEGIES.names() == ["augment", "keep", "oversample", "smote", "synthetic",
                                  "undersample"]
    assert strategy_names() == ["auto", *STRATEGIES.names()]
    assert origins() == ("real", "augmented", "oversampled", "smote", "synthetic")
    assert generated_origins() == ("smote", "synthetic")
    assert copied_origins() == ("augmented", "oversampled")
    assert expected(removing=True) == "undersample or auto"
    assert expected(removing=False) == "oversample, smote, synthetic or auto"


@pytest.fixture
def halve():
    """A strategy registered for one test, as a new module would register it: it removes the
    rows with the larger half of the keys, whatever the target."""

    class Halve(Strategy):
        removes = True
        description = "halved"

        def reason(self, where, count, target, profile):
            if target != count // 2:
                raise DataError(f"{where}, but 'halve' keeps {count // 2}.")
            return "the recipe asks to halve it"

        def select(self, plan, rows, order, total):
            return Choice(drop=order[len(order) // 2:])

    STRATEGIES.register("halve")(Halve)
    yield Halve
    del STRATEGIES._classes["halve"]


def test_a_registered_strategy_is_a_recipe_choice(project, halve) -> None:
    recipe(project, "balance: {target: {counts: {good: 1}}, strategy: {good: halve}}\n")
    assert load("t", project.root).recipe.balance.strategy_for("good") == "halve"
    text = problems(project, "balance: {target: balanced, strategy: halv}\n")
    assert "'halve'" in text and "Did you mean 'halve'?" in text
    assert expected(removing=True) == "halve, undersample or auto"
    assert origins() == ("real", "augmented", "oversampled", "smote", "synthetic")  # it makes no rows


def test_the_planner_and_the_selection_use_a_registered_strategy(halve) -> None:
    assert apply_global("halve", {"a": 10}, {"a": 30}) == {"a": "halve"}
    plans = plan_classes({"a": 4, "b": 3}, {"a": 2, "b": 3}, {"a": "halve"},
                         {"a": "balance.strategy.a"}, PROFILE)
    assert (plans[0].strategy, plans[0].reason) == ("halve", "the recipe asks to halve it")
    with pytest.raises(DataError, match="balance.strategy.a: class 'a' has 4 train rows and a "
                                        "target of 3, but 'halve' keeps 2"):
        plan_classes({"a": 4}, {"a": 3}, {"a": "halve"}, {"a": "balance.strategy.a"}, PROFILE)
    # two parts; class a (code 0) has keys .4 .1 | .3 .2: the two largest keys are left out
    chosen = select(plans[:1], ["a", "b"], ["p0", "p1"],
                    [np.array([0, 0, 1]), np.array([0, 0])],
                    [np.array([0.4, 0.1, 0.9]), np.array([0.3, 0.2])])
    assert chosen.keep["p0"].tolist() == [False, True, True]
    assert chosen.keep["p1"].tolist() == [False, True]
    assert chosen.copies == {}
