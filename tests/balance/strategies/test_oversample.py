"""`oversample`: every row as evenly often as possible, the smallest keys once more; copies
carry `<id>+<k>` and `_origin: oversampled`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from builder.balance.planner import ClassPlan
from builder.balance.selection import copies_of
from builder.balance.strategies.base import strategy
from builder.columns import STRING


def test_rows_are_copied_evenly_by_key() -> None:
    plan = ClassPlan("a", 3, 10, "oversample", "", "recipe")  # 7 copies: 2 each, 1 more
    rows, order = np.array([1, 2, 4]), np.array([4, 1, 2])
    choice = strategy("oversample").select(plan, rows, order, 5)
    assert choice.copies.tolist() == [0, 2, 2, 0, 3] and choice.drop is None


def test_copies_are_numbered_rounds() -> None:
    train = pd.DataFrame({"_id": pd.Series(["s/1", "s/2"], dtype=STRING), "x": [1, 2]})
    rows = copies_of(train, np.array([2, 1]), "oversampled")
    assert rows["_id"].tolist() == ["s/1+1", "s/2+1", "s/1+2"]
    assert rows["x"].tolist() == [1, 2, 1] and set(rows["_origin"]) == {"oversampled"}
