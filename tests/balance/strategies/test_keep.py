"""`keep`: only for a class already at its target."""

from __future__ import annotations

import pytest

from builder.balance.planner import TableProfile
from builder.balance.strategies.base import strategy
from builder.errors import DataError


def test_keep_needs_the_count_at_its_target() -> None:
    keep = strategy("keep")
    assert keep.reason("k", 5, 5, TableProfile(1, 0)) == "kept as the recipe asks"
    with pytest.raises(DataError, match="'keep' leaves it at 5. Expected a strategy that adds"):
        keep.reason("k", 5, 9, TableProfile(1, 0))
    assert (keep.origin, keep.adds, keep.removes) == (None, False, False)
