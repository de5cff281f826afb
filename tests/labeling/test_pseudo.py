"""Out-of-fold predictions: no row is predicted by a model that saw it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from builder.labeling.config import PseudoConfig
from builder.labeling.pseudo import fold_of, out_of_fold
from builder.recipe.schema import TaskConfig


def test_folds_are_stable_per_id() -> None:
    ids = pd.Series([f"s/{i}" for i in range(1000)])
    folds = fold_of(ids, 5, seed=3)
    assert sorted(np.unique(folds)) == [0, 1, 2, 3, 4]
    assert fold_of(ids.iloc[::-1], 5, seed=3).tolist() == folds[::-1].tolist()
    assert fold_of(ids, 5, seed=4).tolist() != folds.tolist()


def test_tabular_out_of_fold_never_sees_the_row() -> None:
    rng = np.random.default_rng(0)
    rows = 600
    x = rng.normal(size=rows)
    df = pd.DataFrame({"_id": [f"s/{i}" for i in range(rows)], "x": x,
                       "colour": pd.Categorical(rng.choice(["red", "blue"], rows)),
                       "label": np.where(x > 0, "pos", "neg"), "_gold": "pos"})
    targets = (x <= 0).astype(np.int64)  # pos = 0, neg = 1
    train = np.ones(rows, dtype=bool)
    config = PseudoConfig(type="tabular", folds=3)
    task = TaskConfig(type="tabular-classification", label="label", classes=["pos", "neg"])
    probabilities = out_of_fold(df, train, targets, 2, config, task, 1, {"label"})
    assert probabilities.shape == (rows, 2)
    assert (probabilities.argmax(axis=1) == targets).mean() > 0.95
    # A row whose label is flipped keeps a prediction for its true side: its own (wrong)
    # label never trained the model that predicted it.
    flipped = targets.copy()
    flipped[:20] = 1 - flipped[:20]
    again = out_of_fold(df, train, flipped, 2, config, task, 1, {"label"})
    assert (again[:20].argmax(axis=1) == targets[:20]).mean() > 0.9


def test_text_model_learns_from_training_rows_only() -> None:
    texts = ["good fun film", "great fun", "bad dull film", "dull bad plot"] * 50
    df = pd.DataFrame({"_id": [f"s/{i}" for i in range(200)], "text": texts})
    targets = np.array([0, 0, 1, 1] * 50)
    train = np.arange(200) % 2 == 0  # only half the rows may be learned from
    config = PseudoConfig(type="text", folds=2)
    task = TaskConfig(text="text", label="label", classes=["pos", "neg"])
    probabilities = out_of_fold(df, train, targets, 2, config, task, 1, set())
    assert not np.isnan(probabilities).any()
    assert (probabilities.argmax(axis=1) == targets).all()
