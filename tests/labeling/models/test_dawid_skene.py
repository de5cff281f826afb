"""Dawid-Skene on literal matrices and on simulated datasets."""

from __future__ import annotations

import numpy as np
import pytest

from builder.labeling.models import DawidSkeneModel, MajorityModel

def test_dawid_skene_on_a_literal_matrix() -> None:
    # Functions 0 and 1 agree on every row both vote on; function 2 agrees with them on 6 of
    # its 12 votes. EM learns that 0 and 1 are reliable and 2 is a coin flip, so the two
    # conflicts with function 2 (rows 10-11, where majority vote ties) follow 0 or 1.
    matrix = np.array([[0, 0, 0]] * 3 + [[1, 1, 1]] * 3 + [[0, 0, 1]] * 2 + [[1, 1, 0]] * 2
                      + [[0, -1, 1], [-1, 1, 0], [-1, -1, -1]], dtype=np.int8)
    model = DawidSkeneModel(2, smoothing=0.1).fit(matrix)
    assert model.predict(matrix).tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1, -1]
    assert MajorityModel(2).fit(matrix).predict(matrix).tolist()[10:] == [-1, -1, -1]
    assert model.accuracies().round(3).tolist() == [0.992, 0.992, 0.5]
    assert model.prior.round(3).tolist() == [0.5, 0.5]
    probabilities = model.predict_proba(matrix)
    assert probabilities[[0, 6, 10, 11]].round(3).tolist() == [[1.0, 0.0], [1.0, 0.0],
                                                              [0.997, 0.003], [0.003, 0.997]]
    assert np.isnan(probabilities[12]).all()
    assert model.dependent == []


def test_conflicting_functions_that_fire_together_are_one_block() -> None:
    # Functions 0 (class 0) and 1 (class 1) each vote on 40 of 200 rows and together on 20,
    # where independence gives 200 x 0.2 x 0.2 = 8: a shared trigger. They are modelled
    # jointly, so their co-votes are not evidence against either of them.
    matrix = np.array([[0, 1]] * 20 + [[0, -1]] * 20 + [[-1, 1]] * 20 + [[-1, -1]] * 140,
                      dtype=np.int8)
    model = DawidSkeneModel(2).fit(matrix)
    assert model.dependent == [{"functions": [0, 1], "test": "conflicting votes",
                                "co_votes": 20, "expected": 8.0, "residual": 28.12}]
    assert model.blocks == [(0, 1)]
    # An output the block never gave ([1, 0]) still gets finite probabilities.
    assert model.predict_proba(np.array([[0, -1], [0, 1], [1, 0]], dtype=np.int8)).round(3).tolist() \
        == [[0.989, 0.011], [0.5, 0.5], [0.5, 0.5]]


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


def simulate_one_class(rows: int, shared: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse functions that each vote for one class, at rates that depend on the true class
    (classes 0, 1, 2 with prior 0.5, 0.4, 0.1), like keyword rules. Function 6 votes 0 on
    rows with the word "funny"; function 7 votes 1 on "not <word>", a `shared` part of its
    votes on "not funny", where function 6 fires too."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(3, size=rows, p=[0.5, 0.4, 0.1])
    rules = [(0, [0.12, 0.03, 0.07]), (1, [0.02, 0.12, 0.08]), (1, [0.01, 0.03, 0.0]),
             (2, [0.02, 0.02, 0.45]), (2, [0.005, 0.005, 0.95]), (2, [0.03, 0.02, 0.85])]
    columns = [np.where(rng.random(rows) < np.asarray(rates)[truth], label, -1)
               for label, rates in rules]
    funny_rate, negated_rate = np.array([0.10, 0.05, 0.07]), np.array([0.002, 0.03, 0.0])
    funny = rng.random(rows) < funny_rate[truth]
    not_funny = funny & (rng.random(rows) < (shared * negated_rate / funny_rate)[truth])
    not_other = rng.random(rows) < ((1 - shared) * negated_rate)[truth]
    columns += [np.where(funny, 0, -1), np.where(not_funny | not_other, 1, -1)]
    return np.column_stack(columns).astype(np.int8), truth


def empirical_accuracies(matrix: np.ndarray, truth: np.ndarray) -> np.ndarray:
    voted = matrix >= 0
    return np.array([(matrix[voted[:, j], j] == truth[voted[:, j]]).mean()
                     for j in range(matrix.shape[1])])


@pytest.mark.parametrize("shared", [0.0, 0.3])
def test_dawid_skene_learns_accuracies_of_sparse_one_class_functions(shared) -> None:
    # The reviews example in miniature: coverage 1-11% per function, one class each, most rows
    # without a vote, and (shared > 0) two conflicting functions triggered by the same word.
    # Fitted on voted rows only, with uniform smoothing and without modelling that pair, the
    # model learned accuracies below 0.1 for functions right 70-90% of the time.
    matrix, truth = simulate_one_class(100_000, shared, seed=2)
    model = DawidSkeneModel(3).fit(matrix)
    known = empirical_accuracies(matrix, truth)
    # Stated tolerance: each learned accuracy within 0.1 of the known one, 0.05 on average.
    assert np.abs(model.accuracies() - known).max() < 0.1
    assert np.abs(model.accuracies() - known).mean() < 0.05
    assert [pair["functions"] for pair in model.dependent] == ([[6, 7]] if shared else [])
    voted = (matrix >= 0).any(axis=1)
    ds = (model.predict(matrix) == truth)[voted].mean()
    mv = (MajorityModel(3).fit(matrix).predict(matrix) == truth)[voted].mean()
    assert ds > mv + 0.05
