"""What every label model shares: vote patterns, tie-breaking, and the registry that builds
the model a recipe names."""

from __future__ import annotations

import numpy as np
import pytest

from builder.errors import RecipeErrors
from builder.labeling.config import LABEL_MODELS, ModelConfig
from builder.labeling.models import (AnchoredDawidSkeneModel, AutoModel, DawidSkeneModel,
                                     LabelModel, MajorityModel, Patterns, WeightedModel,
                                     break_ties, make_model)
from builder.recipe.compose import load

def test_patterns_count_distinct_rows() -> None:
    matrix = np.array([[0, -1], [0, -1], [1, 1]], dtype=np.int8)
    patterns = Patterns.of(matrix, 2)
    assert patterns.patterns.tolist() == [[0, -1], [1, 1]]
    assert patterns.counts.tolist() == [2, 1]
    assert patterns.patterns[patterns.inverse].tolist() == matrix.tolist()


def test_break_ties_literal() -> None:
    scores = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [np.nan] * 3])
    assert break_ties(scores, "abstain", None).tolist() == [-1, 2, -1]
    assert break_ties(scores, "prior", np.array([0.1, 0.6, 0.3])).tolist() == [1, 2, -1]


def test_the_registry_builds_the_model_a_recipe_names() -> None:
    assert LABEL_MODELS.names() == ["anchored_dawid_skene", "auto", "dawid_skene", "majority",
                                    "weighted"]
    built = {name: make_model(ModelConfig(type=name, tie_break="prior", max_iter=7), 3)
             for name in LABEL_MODELS.names()}
    assert {name: type(model) for name, model in built.items()} == {
        "anchored_dawid_skene": AnchoredDawidSkeneModel, "auto": AutoModel,
        "dawid_skene": DawidSkeneModel, "majority": MajorityModel, "weighted": WeightedModel}
    assert built["majority"].tie_break == "prior" and built["dawid_skene"].max_iter == 7
    assert [name for name, model in built.items() if model.learns_from_dev] == ["weighted"]
    assert [name for name, model in built.items() if model.learns_from_trusted] == ["auto"]
    assert type(make_model(ModelConfig(), 3)) is AnchoredDawidSkeneModel  # the default


@pytest.fixture
def registered_model():
    """A model registered for one test, as a new module would register it."""

    class Constant(LabelModel):
        def fit_patterns(self, patterns, dev_labels=None):
            self.prior = np.full(self.n_classes, 1 / self.n_classes)

        def pattern_scores(self, patterns):
            scores = np.zeros((len(patterns), self.n_classes))
            scores[:, 0] = 1
            return scores

    LABEL_MODELS.register("constant")(Constant)
    yield Constant
    del LABEL_MODELS._classes["constant"]


def test_a_registered_model_is_a_recipe_choice(project, registered_model) -> None:
    project.write("data.csv", "text,label\ngreat,pos\n")
    recipe = """
defaults: [base, _self_]
name: r
task: {type: text-classification, text: text, label: label, classes: [pos, neg]}
sources:
  s: {type: csv, path: data.csv}
labeling:
  model: {type: MODEL}
"""
    project.recipe("r", recipe.replace("MODEL", "constant"))
    config = load("r", project.root).recipe.labeling.model
    model = make_model(config, 2)
    assert isinstance(model, registered_model)
    model.fit(np.array([[1], [-1]], dtype=np.int8))
    assert model.predict(np.array([[1]], dtype=np.int8)).tolist() == [0]
    project.recipe("r", recipe.replace("MODEL", "constnt"))
    with pytest.raises(RecipeErrors) as caught:
        load("r", project.root)
    assert ("labeling.model.type: found 'constnt', expected one of 'anchored_dawid_skene', "
            "'auto', 'constant', 'dawid_skene', 'majority' or 'weighted'. Did you mean "
            "'constant'?") in str(caught.value)
