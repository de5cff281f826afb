"""Confident learning on literal probabilities."""

from __future__ import annotations

import numpy as np

from builder.labeling.confident import class_thresholds, suspects


def test_off_diagonal_rows_are_suspects() -> None:
    labels = np.array([0, 0, 0, 1, 1, 1, -1])
    probabilities = np.array([
        [0.9, 0.1], [0.8, 0.2], [0.1, 0.9],   # row 2: labeled 0, confidently 1
        [0.2, 0.8], [0.25, 0.75], [0.4, 0.6],
        [0.5, 0.5],
    ])
    assert class_thresholds(labels[:6], probabilities[:6]).round(4).tolist() == [0.6, 0.7167]
    suspect, suggested = suspects(labels, probabilities)
    assert suspect.tolist() == [False, False, True, False, False, False, False]
    assert suggested.tolist() == [0, 0, 1, 1, 1, -1, -1]


def test_rows_without_probabilities_are_never_suspects() -> None:
    labels = np.array([0, 1, 1])
    probabilities = np.array([[0.9, 0.1], [np.nan, np.nan], [0.1, 0.9]])
    suspect, suggested = suspects(labels, probabilities)
    assert suspect.tolist() == [False, False, False]
    assert suggested.tolist() == [0, -1, 1]
