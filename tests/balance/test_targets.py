"""Targets become counts per class: literal inputs, literal outputs."""

from __future__ import annotations

import pytest

from builder.balance.config import TargetConfig
from builder.balance.targets import apportion, describe, resolve
from builder.errors import DataError

BEFORE = {"good": 700, "bad": 250, "rare": 50}


def test_balanced_raises_every_class_to_the_largest() -> None:
    assert resolve(TargetConfig(balanced=True), BEFORE) == {"good": 700, "bad": 700, "rare": 700}


def test_balanced_with_a_total_splits_it_evenly() -> None:
    assert resolve(TargetConfig(balanced=True, total=900), BEFORE) == {
        "good": 300, "bad": 300, "rare": 300}
    assert resolve(TargetConfig(balanced=True, total=10), BEFORE) == {
        "good": 4, "bad": 3, "rare": 3}


def test_counts_set_listed_classes_and_keep_the_others() -> None:
    assert resolve(TargetConfig(counts={"rare": 200, "good": 500}), BEFORE) == {
        "good": 500, "bad": 250, "rare": 200}


def test_ratios_without_total_keep_every_row() -> None:
    # rare binds: 50 / 0.1 = 500 rows in all, but good needs 700 / 0.5 = 1400.
    result = resolve(TargetConfig(ratios={"good": 0.5, "bad": 0.3, "rare": 0.2}), BEFORE)
    assert result == {"good": 700, "bad": 420, "rare": 280}


def test_ratios_with_total_use_largest_remainders() -> None:
    result = resolve(TargetConfig(ratios={"good": 0.5, "bad": 0.3, "rare": 0.2}, total=101), BEFORE)
    assert result == {"good": 51, "bad": 30, "rare": 20}


def test_min_per_class_and_max_ratio_only_raise() -> None:
    assert resolve(TargetConfig(min_per_class=100), BEFORE) == {
        "good": 700, "bad": 250, "rare": 100}
    assert resolve(TargetConfig(max_ratio=2), BEFORE) == {"good": 700, "bad": 350, "rare": 350}
    assert resolve(TargetConfig(min_per_class=800, max_ratio=2), BEFORE) == {
        "good": 800, "bad": 800, "rare": 800}


def test_a_class_without_train_rows_cannot_be_grown() -> None:
    with pytest.raises(DataError, match=r"balance\.target\.counts\.rare: class 'rare' has no row "
                                        r"in the train split, so no sampler or model can make "
                                        r"the 30"):
        resolve(TargetConfig(counts={"rare": 30}), {"good": 10, "rare": 0})
    with pytest.raises(DataError, match=r"balance\.target\.balanced: class 'rare' has no row"):
        resolve(TargetConfig(balanced=True), {"good": 10, "rare": 0})


def test_apportion_and_describe() -> None:
    assert apportion(7, {"a": 0.5, "b": 0.5}) == {"a": 4, "b": 3}
    assert sum(apportion(1000, {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}).values()) == 1000
    assert describe(TargetConfig(ratios={"a": 0.25, "b": 0.75}, total=400)) == (
        "ratios a: 0.25, b: 0.75; total 400")
