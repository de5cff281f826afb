"""`synthetic`: needs a generator and enough rows to fit it; asks the generator for the gap."""

from __future__ import annotations

import pytest

from builder.balance.planner import ClassPlan, TableProfile
from builder.balance.strategies.base import strategy
from builder.balance.strategies.synthetic import MIN_MODEL_ROWS
from builder.errors import DataError


def test_synthetic_needs_rows_to_learn_from() -> None:
    synthetic = strategy("synthetic")
    assert synthetic.reason("k", MIN_MODEL_ROWS, 50, TableProfile(1, 0)) == (
        "the recipe asks for synthetic")
    with pytest.raises(DataError, match="a generator needs at least 20 rows"):
        synthetic.reason("k", 5, 50, TableProfile(1, 0))


def test_synthetic_asks_the_generator_for_the_gap() -> None:
    plan = ClassPlan("a", 30, 75, "synthetic", "", "recipe")
    outcome = strategy("synthetic").build(plan, 0, None)
    assert outcome.generator_rows == 45 and outcome.rows is None
