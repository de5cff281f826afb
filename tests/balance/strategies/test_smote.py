"""`smote`: names its variant, needs two rows, and no free text."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from builder.balance.planner import TableProfile
from builder.balance.strategies.base import strategy
from builder.errors import DataError


def test_smote_reasons_name_the_variant() -> None:
    smote = strategy("smote")
    assert smote.reason("k", 5, 9, TableProfile(2, 1)) == "the recipe asks for SMOTENC"
    with pytest.raises(DataError, match="there is 1. Expected oversample"):
        smote.reason("k", 1, 9, TableProfile(2, 1))
    with pytest.raises(DataError, match="'smote' can only add rows. Expected undersample or auto"):
        smote.reason("k", 9, 5, TableProfile(2, 1))


def test_smote_cannot_interpolate_text() -> None:
    def recipe(task_type: str) -> SimpleNamespace:
        return SimpleNamespace(task=SimpleNamespace(type=task_type))

    assert "cannot interpolate the free text" in strategy("smote").problem(
        recipe("text-classification"))
    assert strategy("smote").problem(recipe("tabular-classification")) is None
