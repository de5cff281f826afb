"""Agreement metrics against textbook examples, and consensus by majority and Dawid-Skene."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.labeling.human.agreement import (
    aggregate, argmax_or_tie, cohen_kappa, dawid_skene, fleiss_kappa, krippendorff_alpha,
    majority, vote_counts)

# Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories -> 0.210.
FLEISS_TABLE = np.array([
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
])

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the nominal example:
# 4 observers, 12 units, missing values -> alpha 0.743.
KRIPPENDORFF_CODERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def krippendorff_counts() -> np.ndarray:
    counts = np.zeros((12, 5), dtype=int)
    for coder in KRIPPENDORFF_CODERS:
        for unit, value in enumerate(coder):
            if value is not None:
                counts[unit, value - 1] += 1
    return counts


def test_cohen_kappa_textbook_example() -> None:
    # Wikipedia's example: 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_matches_scikit_learn() -> None:
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(0)
    a = rng.choice(["fresh", "rotten", "plot"], size=200)
    b = np.where(rng.random(200) < 0.7, a, rng.choice(["fresh", "rotten", "plot"], size=200))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_cohen_kappa_undefined_when_both_always_agree_on_one_class() -> None:
    assert cohen_kappa(["pos", "pos"], ["pos", "pos"]) is None
    assert cohen_kappa([], []) is None


def test_fleiss_kappa_textbook_example() -> None:
    assert round(fleiss_kappa(FLEISS_TABLE), 3) == 0.210


def test_krippendorff_alpha_textbook_example() -> None:
    assert round(krippendorff_alpha(krippendorff_counts()), 3) == 0.743


def test_alpha_and_kappa_are_one_for_perfect_agreement() -> None:
    counts = np.array([[3, 0], [0, 3], [3, 0]])
    assert krippendorff_alpha(counts) == pytest.approx(1.0)
    assert fleiss_kappa(counts) == pytest.approx(1.0)


def test_majority_marks_ties() -> None:
    winner, share = majority(np.array([[2, 1, 0], [1, 1, 0], [0, 0, 0], [0, 0, 1]]))
    assert winner.tolist() == [0, -1, -1, 2]
    assert share.round(3).tolist() == [0.667, 0.5, 0.0, 1.0]


def simulated_annotations(seed: int = 7):
    """400 rows, 3 classes, 5 annotators of known accuracy, 3 annotators per row."""
    rng = np.random.default_rng(seed)
    accuracy = np.array([0.95, 0.85, 0.7, 0.55, 0.4])
    truth = rng.choice(3, size=400, p=[0.5, 0.35, 0.15])
    rows, people, labels = [], [], []
    for i, true in enumerate(truth):
        for person in rng.choice(5, size=3, replace=False):
            rows.append(i)
            people.append(person)
            right = rng.random() < accuracy[person]
            labels.append(true if right else rng.choice([k for k in range(3) if k != true]))
    return accuracy, truth, np.array(rows), np.array(people), np.array(labels)


def test_dawid_skene_recovers_annotator_accuracy_and_beats_majority() -> None:
    accuracy, truth, rows, people, labels = simulated_annotations()
    model = dawid_skene(rows, people, labels, n_rows=400, n_annotators=5, n_classes=3)
    # Within 0.1 of the true accuracies, and in the same order.
    assert np.abs(model.accuracy() - accuracy).max() < 0.1
    assert np.argsort(-model.accuracy()).tolist() == [0, 1, 2, 3, 4]
    ds_correct = np.mean(argmax_or_tie(model.posterior) == truth)
    winner, _ = majority(vote_counts(rows, labels, 400, 3))
    assert ds_correct > np.mean(winner == truth) + 0.03


def test_aggregate_majority_literal() -> None:
    annotations = pd.DataFrame({
        "_id": ["a", "a", "a", "b", "b", "c"],
        "annotator": ["x", "y", "z", "x", "y", "x"],
        "label": ["pos", "pos", "neg", "pos", "neg", "neg"],
    })
    result = aggregate(annotations, ["pos", "neg"], "majority")
    rows = result.rows.set_index("_id")
    assert rows["label"].fillna("-").tolist() == ["pos", "-", "neg"]
    assert rows["confidence"].round(3).fillna(-1).tolist() == [0.667, -1, 1.0]
    assert rows["agreement"].round(3).fillna(-1).tolist() == [0.667, 0.5, -1]
    assert rows["annotators"].tolist() == [3, 2, 1]
    assert result.metrics["ties"] == 1
    assert result.metrics["rows_with_several_annotators"] == 2
    assert result.metrics["annotators"]["z"] == {"labels": 1, "compared": 1,
                                                 "accuracy_vs_consensus": 0.0}
    assert result.metrics["annotators"]["x"]["accuracy_vs_consensus"] == 1.0
    assert result.metrics["cohen_kappa"] == [{"annotators": ["x", "y"], "rows": 2, "kappa": 0.0}]


def test_aggregate_dawid_skene_reports_estimated_accuracy() -> None:
    accuracy, truth, rows, people, labels = simulated_annotations()
    classes = ["a", "b", "c"]
    frame = pd.DataFrame({"_id": [f"r{i:03d}" for i in rows],
                          "annotator": [f"p{p}" for p in people],
                          "label": [classes[k] for k in labels]})
    result = aggregate(frame, classes, "dawid_skene")
    estimated = [result.metrics["annotators"][f"p{p}"]["estimated_accuracy"] for p in range(5)]
    assert np.abs(np.array(estimated) - accuracy).max() < 0.1
    assert result.metrics["dawid_skene_iterations"] > 1
    assert result.rows["confidence"].between(0, 1).all()
