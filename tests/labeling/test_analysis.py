"""Labeling function diagnostics on a literal matrix."""

from __future__ import annotations

import numpy as np

from builder.labeling.analysis import analyze
from builder.labeling.models import Patterns

L = np.array([
    [0, 0, -1],
    [0, 1, -1],
    [1, 1, 1],
    [-1, -1, -1],
], dtype=np.int8)
GOLD = np.array([0, 1, 1, 0])


def test_analysis_literal() -> None:
    result = analyze(Patterns.of(L, 2), ["a", "b", "c"], ["keyword", "regex", "python"],
                     ["pos", "neg"], GOLD)
    assert result["functions"]["a"] == {
        "type": "keyword", "polarity": ["neg", "pos"], "coverage": 0.75, "overlaps": 0.75,
        "conflicts": 0.25, "correct": 2, "incorrect": 1, "empirical_accuracy": 0.6667}
    assert result["functions"]["b"]["polarity"] == ["neg", "pos"]
    assert result["functions"]["b"]["empirical_accuracy"] == 1.0
    assert result["functions"]["c"] == {
        "type": "python", "polarity": ["neg"], "coverage": 0.25, "overlaps": 0.25,
        "conflicts": 0.0, "correct": 1, "incorrect": 0, "empirical_accuracy": 1.0}
    assert result["conflict_matrix"]["shares"] == [[0.0, 0.25, 0.0], [0.25, 0.0, 0.0],
                                                   [0.0, 0.0, 0.0]]
    assert (result["coverage"], result["overlap"], result["conflict"]) == (0.75, 0.75, 0.25)


def test_analysis_without_gold_has_no_accuracy() -> None:
    result = analyze(Patterns.of(L, 2), ["a", "b", "c"], ["k", "k", "k"], ["pos", "neg"])
    assert "empirical_accuracy" not in result["functions"]["a"]
