"""The majority model on literal matrices: shares of the votes, ties abstain or go to the prior."""

from __future__ import annotations

import numpy as np

from builder.labeling.models import MajorityModel

# 5 rows x 3 functions, classes 0..2, -1 = abstain.
L = np.array([
    [0, 0, -1],
    [0, 1, -1],
    [1, 1, 2],
    [-1, -1, -1],
    [2, -1, 2],
], dtype=np.int8)


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
