"""`undersample`: the rows with the `target` smallest keys stay; it only removes rows."""

from __future__ import annotations

import numpy as np
import pytest

from builder.balance.planner import ClassPlan, TableProfile
from builder.balance.strategies.base import strategy
from builder.errors import DataError


def test_the_smallest_keys_stay() -> None:
    plan = ClassPlan("a", 4, 2, "undersample", "", "recipe")
    rows = np.array([0, 2, 3, 5])
    order = np.array([3, 0, 5, 2])  # the rows by key
    choice = strategy("undersample").select(plan, rows, order, 6)
    assert choice.drop.tolist() == [5, 2] and choice.copies is None


def test_it_only_removes_rows() -> None:
    undersample = strategy("undersample")
    assert undersample.reason("k", 10, 4, TableProfile(1, 0)) == (
        "the recipe asks for random under-sampling to 4 rows")
    with pytest.raises(DataError, match="can only remove rows. Expected oversample, smote, "
                                        "synthetic or auto"):
        undersample.reason("k", 10, 20, TableProfile(1, 0))
