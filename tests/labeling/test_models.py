"""Label models on tiny literal matrices, and Dawid-Skene on a simulated dataset."""

from __future__ import annotations

import numpy as np
import pytest

from builder.labeling.models import (
    DawidSkeneModel,
    MajorityModel,
    Patterns,
    WeightedModel,
    break_ties,
)

# 5 rows x 3 functions, classes 0..2, -1 = abstain.
L = np.array([
    [0, 0, -1],
    [0, 1, -1],
    [1, 1, 2],
    [-1, -1, -1],
    [2, -1, 2],
], dtype=np.int8)


def test_patterns_count_distinct_rows() -> None:
    matrix = np.array([[0, -1], [0, -1], [1, 1]], dtype=np.int8)
    patterns = Patterns.of(matrix, 2)
    assert patterns.patterns.tolist() == [[0, -1], [1, 1]]
    assert patterns.counts.tolist() == [2, 1]
    assert patterns.patterns[patterns.inverse].tolist() == matrix.tolist()


def test_majority_ties_abstain() -> None:
    model = MajorityModel(3, tie_break="abstain").fit(L)
    assert model.predict(L).tolist() == [0, -1, 1, -1, 2]
    probabilities = model.predict_proba(L)
    assert np.allclose(probabilities[[0, 1, 2, 4]], [[1, 0, 0], [0.5, 0.5, 0], [0, 2 / 3, 1 / 3],
                                                     [0, 0, 1]])
    assert np.isnan(probabilities[3]).all()


def test_majority_ties_go_to_the_class_prior() -> None:
    # Untied majority labels: class 0 once, class 1 twice -> the 0/1 tie goes to class 1.
    matrix = np.array([[0, 1], [1, -1], [1, 1], [0, -1]], dtype=np.int8)
    model = MajorityModel(2, tie_break="prior").fit(matrix)
    assert model.predict(matrix).tolist() == [1, 1, 1, 0]
    assert MajorityModel(2, tie_break="abstain").fit(matrix).predict(matrix).tolist() == [-1, 1, 1, 0]


def test_weighted_model_trusts_the_accurate_function() -> None:
    # Function 0 is right on all 4 dev rows, function 1 wrong on all 4: on a conflict
    # (row 4) the weighted model follows function 0 where majority vote ties.
    matrix = np.array([[0, 1], [1, 0], [0, 1], [1, 0], [0, 1]], dtype=np.int8)
    dev = np.array([0, 1, 0, 1, -1])
    model = WeightedModel(2).fit(matrix, dev)
    assert model.accuracy.tolist() == pytest.approx([5 / 6, 1 / 6])
    assert model.predict(matrix).tolist() == [0, 1, 0, 1, 0]
    assert model.predict_proba(matrix)[4, 0] == pytest.approx(1 / (1 + np.exp(-2 * np.log(5))))
    assert MajorityModel(2).fit(matrix).predict(matrix).tolist() == [-1, -1, -1, -1, -1]


def test_dawid_skene_on_a_literal_matrix() -> None:
    # Functions 0 and 1 agree on 8 of 10 voted rows, function 2 only on 4: EM learns that
    # function 1 is the most reliable, so the 0/1 conflict (rows 8-9) goes to function 1.
    matrix = np.array([[0, 0, 1]] * 4 + [[1, 1, 1]] * 4 + [[0, 1, -1]] * 2 + [[-1, -1, -1]],
                      dtype=np.int8)
    model = DawidSkeneModel(2, smoothing=0.1).fit(matrix)
    assert model.predict(matrix).tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, -1]
    assert model.accuracies().round(3).tolist() == [0.785, 0.977, 0.507]
    assert model.prior.round(3).tolist() == [0.4, 0.6]
    probabilities = model.predict_proba(matrix)
    assert probabilities[[0, 4, 8]].round(3).tolist() == [[0.992, 0.008], [0.001, 0.999],
                                                          [0.004, 0.996]]
    assert np.isnan(probabilities[10]).all()


def test_break_ties_literal() -> None:
    scores = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [np.nan] * 3])
    assert break_ties(scores, "abstain", None).tolist() == [-1, 2, -1]
    assert break_ties(scores, "prior", np.array([0.1, 0.6, 0.3])).tolist() == [1, 2, -1]


def simulate(rows: int, accuracies: list[float], propensity: float, prior: list[float],
             seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Functions that vote with `propensity`, right with their accuracy, else a random other
    class; independent given the true class."""
    rng = np.random.default_rng(seed)
    k = len(prior)
    truth = rng.choice(k, size=rows, p=prior)
    matrix = np.full((rows, len(accuracies)), -1, dtype=np.int8)
    for j, accuracy in enumerate(accuracies):
        votes = rng.random(rows) < propensity
        right = rng.random(rows) < accuracy
        wrong = (truth + rng.integers(1, k, rows)) % k
        matrix[:, j] = np.where(votes, np.where(right, truth, wrong), -1)
    return matrix, truth


def test_dawid_skene_recovers_simulated_accuracies_and_beats_majority() -> None:
    accuracies = [0.95, 0.9, 0.85, 0.75, 0.65, 0.55, 0.5, 0.45]
    matrix, truth = simulate(40_000, accuracies, 0.5, [0.5, 0.3, 0.2], seed=7)
    model = DawidSkeneModel(3).fit(matrix)
    # Stated tolerance: each learned accuracy within 0.02 of the true one.
    assert np.abs(model.accuracies() - accuracies).max() < 0.02
    assert model.prior == pytest.approx([0.5, 0.3, 0.2], abs=0.02)
    voted = (matrix >= 0).any(axis=1)
    ds = (model.predict(matrix) == truth)[voted].mean()
    mv = (MajorityModel(3, "prior").fit(matrix).predict(matrix) == truth)[voted].mean()
    assert ds > mv + 0.03
