"""The weighted model: votes weighted by each function's accuracy on dev rows."""

from __future__ import annotations

import numpy as np
import pytest

from builder.labeling.models import MajorityModel, WeightedModel

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
