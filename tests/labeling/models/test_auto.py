"""`model: auto`: the label model most accurate on rows with a trusted label, else the default."""

from __future__ import annotations

import numpy as np

from builder.labeling.config import AutoConfig, ModelConfig
from builder.labeling.models import AnchoredDawidSkeneModel, AutoModel, Patterns, make_model


def matrix_of(spec: list[tuple[tuple[int, ...], int]]) -> np.ndarray:
    return np.array([list(pattern) for pattern, rows in spec for _ in range(rows)], np.int8)


#: Functions 0 and 1 (class 0) conflict with function 2 (class 1) on 40 rows; 20 rows get no
#: vote.
MATRIX = matrix_of([((0, -1, -1), 40), ((-1, -1, 1), 40), ((0, -1, 1), 20), ((-1, 0, 1), 20),
                    ((-1, -1, -1), 20)])


def auto(min_dev_rows: int = 50) -> AutoModel:
    return make_model(ModelConfig(type="auto", auto=AutoConfig(min_dev_rows=min_dev_rows)), 2)


def test_auto_chooses_the_most_accurate_model_on_trusted_rows() -> None:
    # Trusted labels say function 2 wins every conflict; lone votes are right. Majority vote
    # leaves the 40 conflicts unlabeled (wrong), weighted learns from the labels out of fold.
    truth = np.array([0] * 40 + [1] * 40 + [1] * 40 + [0] * 20)
    dev = np.where(np.arange(140) % 2 == 0, truth, -1)  # every other row is trusted
    model = auto().fit(MATRIX, dev)
    report = model.describe()["auto"]
    assert report["trusted_rows"] == 60  # the 10 trusted rows without a vote do not count
    assert report["min_dev_rows"] == 50
    accuracy = report["dev_accuracy"]
    assert list(accuracy) == ["anchored_dawid_skene", "dawid_skene", "majority", "weighted"]
    assert accuracy["majority"] == round(40 / 60, 4)
    assert accuracy["weighted"] == 1.0
    assert report["chosen"] == "weighted"
    assert report["reason"] == "most accurate on 60 voted rows with a trusted label"
    labels = model.predict(MATRIX)
    assert labels[:120].tolist() == truth[:120].tolist()
    assert labels[-20:].tolist() == [-1] * 20


def test_the_choice_does_not_depend_on_the_order_of_the_rows() -> None:
    # Partitions deliver trusted rows in another order: the folds, so the figures, stay.
    truth = np.array([0] * 40 + [1] * 40 + [1] * 40 + [0] * 20)
    dev = np.where(np.arange(140) % 3 == 0, 1 - truth, truth)  # a third of the labels flipped
    order = np.random.default_rng(0).permutation(140)
    first = auto(min_dev_rows=10).fit(MATRIX, dev).describe()["auto"]
    second = auto(min_dev_rows=10).fit(MATRIX[order], dev[order]).describe()["auto"]
    assert first == second


def test_auto_keeps_the_default_below_min_dev_rows() -> None:
    truth = np.array([0] * 40 + [1] * 40 + [1] * 40 + [0] * 20)
    dev = np.where(np.arange(140) % 7 == 0, truth, -1)  # 20 trusted rows, 18 with a vote
    model = auto().fit(MATRIX, dev)
    report = model.describe()["auto"]
    assert report["chosen"] == "anchored_dawid_skene"
    assert report["trusted_rows"] == 18
    assert report["reason"] == ("18 voted rows with a trusted label, fewer than "
                                "auto.min_dev_rows (50): the default")
    assert set(report["dev_accuracy"]) == {"anchored_dawid_skene", "dawid_skene", "majority",
                                           "weighted"}
    default = AnchoredDawidSkeneModel(2).fit(MATRIX)
    assert model.predict(MATRIX).tolist() == default.predict(MATRIX).tolist()
    # With no trusted row at all (`fit_patterns`), the same default and no accuracies.
    alone = auto()
    alone.fit_patterns(Patterns.of(MATRIX, 2))
    assert alone.describe()["auto"]["dev_accuracy"] == {
        "anchored_dawid_skene": None, "dawid_skene": None, "majority": None, "weighted": None}
    assert alone.predict(MATRIX).tolist() == default.predict(MATRIX).tolist()


def test_a_tie_in_accuracy_goes_to_the_default() -> None:
    # Lone votes only: every model labels every trusted row right.
    matrix = matrix_of([((0, -1), 30), ((-1, 1), 30)])
    truth = np.array([0] * 30 + [1] * 30)
    report = auto(min_dev_rows=10).fit(matrix, truth).describe()["auto"]
    assert set(report["dev_accuracy"].values()) == {1.0}
    assert report["chosen"] == "anchored_dawid_skene"


def test_bad_auto_and_anchor_settings_are_recipe_errors(project) -> None:
    import pytest

    from builder.errors import RecipeErrors
    from builder.recipe.compose import load

    project.write("data.csv", "text,label\ngreat,pos\n")
    project.recipe("r", """
defaults: [base, _self_]
name: r
task: {type: text-classification, text: text, label: label, classes: [pos, neg]}
sources:
  s: {type: csv, path: data.csv}
labeling:
  model: {type: auto, anchor: 1.5, auto: {min_dev_rows: 0}}
""")
    with pytest.raises(RecipeErrors) as caught:
        load("r", project.root)
    message = str(caught.value)
    assert "labeling.model.anchor: found 1.5, expected a number in [0, 1]." in message
    assert "labeling.model.auto.min_dev_rows: found 0, expected a positive integer." in message
