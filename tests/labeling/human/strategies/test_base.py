"""Strategies through the registry: the names, an unknown one, and a strategy added by one
registration being a recipe value, a command-line choice and a queue."""

from __future__ import annotations

import pandas as pd
import pytest

from builder.cli import parser
from builder.errors import DataError
from builder.labeling.human.config import QUEUE_STRATEGIES
from builder.labeling.human.queue import select
from builder.labeling.human.strategies import Strategy
from builder.recipe.compose import load
from tests.labeling.human.conftest import SHOP_CSV, SHOP_RECIPE
from tests.labeling.human.strategies.rows import TASK, labeled, picks


def test_the_registered_strategies() -> None:
    assert QUEUE_STRATEGIES.names() == ["audit", "disagreement", "least_confident",
                                        "lf_conflict"]


def test_an_unknown_strategy_names_the_registered_ones() -> None:
    with pytest.raises(DataError, match=r"unknown review strategy 'audits'; expected 'audit', "
                                        r"'disagreement', 'least_confident' or 'lf_conflict'\. "
                                        r"Did you mean 'audit'\?"):
        select(labeled(), TASK, "audits", budget=3, seed=1, exclude=set())


@pytest.fixture
def longest_text():
    """A strategy registered for one test, as a new module would register it."""

    class LongestText(Strategy):
        columns = ("label_source", "text")

        def priority(self, df: pd.DataFrame) -> pd.Series:
            return -df["text"].str.len().astype("float64")

    QUEUE_STRATEGIES.register("longest_text")(LongestText)
    yield LongestText
    del QUEUE_STRATEGIES._classes["longest_text"]


def test_a_registered_strategy_is_a_recipe_value_a_choice_and_a_queue(project,
                                                                       longest_text) -> None:
    project.write("recipes/data/shop.csv", SHOP_CSV)
    project.recipe("shop", SHOP_RECIPE + "  human: {strategy: longest_text}\n")
    assert load("shop", project.root).recipe.labeling.human.strategy == "longest_text"
    args = parser().parse_args(["label", "export", "shop", "--tool", "csv",
                                "--strategy", "longest_text"])
    assert args.strategy == "longest_text"
    df = labeled()
    df.loc[3, "text"] = "the longest text of all"
    queue = select(df, TASK, "longest_text", budget=2, seed=1, exclude=set())
    assert picks(queue)[0] == "q/3"
    assert queue.rows["priority"].tolist()[0] == -len("the longest text of all")
