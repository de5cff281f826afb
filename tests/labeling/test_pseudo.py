"""Out-of-fold predictions: no row is predicted by a model that saw it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.labeling.config import PseudoConfig
from builder.labeling.encoders.tfidf import vectorizer
from builder.labeling.pseudo import fold_of, out_of_fold, rule_free_columns
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


def test_classes_are_balanced_whatever_the_mix_of_training_labels() -> None:
    # 80 'pos' and 20 'neg' training labels (the mix of the rows the functions fire on, not
    # of the data): a row with no word the model knows gets even odds, not the training mix.
    texts = ["good film"] * 80 + ["bad film"] * 20 + ["unseen words"] * 20
    df = pd.DataFrame({"_id": [f"s/{i}" for i in range(120)], "text": texts})
    targets = np.array([0] * 80 + [1] * 20 + [-1] * 20)
    task = TaskConfig(text="text", label="label", classes=["pos", "neg"])
    probabilities = out_of_fold(df, targets >= 0, targets, 2, PseudoConfig(type="text", folds=2),
                                task, 1, set())
    assert probabilities[100:] == pytest.approx(np.full((20, 2), 0.5), abs=0.005)
    assert probabilities[:80, 0].min() > 0.9 and probabilities[80:100, 1].min() > 0.9


def weakly_labeled_reviews() -> tuple[pd.DataFrame, np.ndarray]:
    """Weak labels from the rule words 'great' and 'dull'; 'moving' and 'tired' go with them
    half of the time and are all that the 20 rows without a weak label have."""
    texts = (["great and moving"] * 30 + ["great fun"] * 30 + ["dull and tired"] * 30
             + ["dull plot"] * 30 + ["a moving story"] * 10 + ["so tired"] * 10)
    weak = ["pos"] * 60 + ["neg"] * 60 + [None] * 20
    df = pd.DataFrame({"_id": [f"s/{i}" for i in range(140)], "text": texts,
                       "weak_label": pd.array(weak, dtype="string")})
    return df, np.array([0] * 60 + [1] * 60 + [-1] * 20)


def test_rows_without_a_weak_label_are_predicted_without_the_rule_words() -> None:
    df, targets = weakly_labeled_reviews()
    config = PseudoConfig(type="text", folds=2)
    features = vectorizer(config.max_features).fit_transform(df["text"])
    keep = rule_free_columns(features, df)
    assert features.shape == (140, 17) and keep.sum() == 6
    assert rule_free_columns(features, df.assign(weak_label="pos")) is None
    task = TaskConfig(text="text", label="label", classes=["pos", "neg"])
    probabilities = out_of_fold(df, targets >= 0, targets, 2, config, task, 1, set())
    # Without 'great' and 'dull' to lean on, the model gives 'moving' and 'tired' their weight.
    everything = out_of_fold(df.drop(columns="weak_label"), targets >= 0, targets, 2, config,
                             task, 1, set())
    assert probabilities[[120, 130]].round(3).tolist() == [[0.819, 0.181], [0.177, 0.823]]
    assert everything[[120, 130]].round(3).tolist() == [[0.621, 0.379], [0.368, 0.632]]
    # Rows with a weak label keep the model that knows every word (confident learning).
    assert np.allclose(probabilities[:120], everything[:120])


def test_target_precision_picks_the_lowest_threshold_that_reaches_it() -> None:
    from builder.labeling.pseudo import accepted_by, calibration_counts, precision_threshold

    confidence = np.array([0.95, 0.9, 0.85, 0.7, 0.6, 0.55, 0.52, np.nan])
    correct = np.array([1, 1, 1, 0, 1, 0, 1, 1])
    counts = calibration_counts(confidence, correct)
    assert counts.sum(axis=1).tolist() == [7, 5]  # the NaN row (no model) is not counted
    # All 7 rows: 5/7 = 0.714; above 0.52: 4/6; above 0.55: 4/5 = 0.8; above 0.6: 3/4.
    chosen = precision_threshold(counts, 0.8)
    assert chosen == {"target_precision": 0.8, "rows": 7, "threshold": 0.551,
                      "estimated_precision": 0.8, "rows_above": 5}
    assert precision_threshold(counts, 0.7)["threshold"] == 0.0  # every row: 0.714
    assert precision_threshold(counts, 1.0)["threshold"] == 0.701
    assert precision_threshold(np.zeros_like(counts), 0.8)["threshold"] is None
    assert accepted_by(confidence, 0.551).tolist() == [True] * 5 + [False] * 3
    assert not accepted_by(confidence, None).any()
    # Counts of parts add up to the counts of the whole: the threshold ignores partitions.
    parts = calibration_counts(confidence[:3], correct[:3]) + calibration_counts(
        confidence[3:], correct[3:])
    assert np.array_equal(parts, counts)
