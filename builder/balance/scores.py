"""The scores `balance.select.metric` names, one class each through one registry.

Each takes the validation fold's true labels, the efficacy model's predictions and class
probabilities, and the minority class (fewest train rows), and returns a number where higher is
better.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from builder.recipe.registry import Registry

if TYPE_CHECKING:
    import numpy as np

SCORES = Registry("balance.select.metric", "builder.balance.scores")


class Score:
    """One selection metric."""

    type_name: ClassVar[str]
    description: ClassVar[str] = ""
    needs_probabilities: ClassVar[bool] = False

    def __call__(self, truth: np.ndarray, predicted: np.ndarray, probabilities: np.ndarray | None,
                 classes: list[str], minority: str) -> float:
        raise NotImplementedError


@SCORES.register("balanced_accuracy")
class BalancedAccuracy(Score):
    """The mean recall over classes."""

    description = "balanced accuracy"

    def __call__(self, truth, predicted, probabilities, classes, minority) -> float:
        from sklearn.metrics import balanced_accuracy_score

        return float(balanced_accuracy_score(truth, predicted))


@SCORES.register("f1_minority")
class F1Minority(Score):
    """F1 of the class with the fewest train rows."""

    description = "F1 of the minority class"

    def __call__(self, truth, predicted, probabilities, classes, minority) -> float:
        from sklearn.metrics import f1_score

        return float(f1_score(truth, predicted, labels=[minority], average="macro",
                              zero_division=0))


@SCORES.register("roc_auc")
class RocAuc(Score):
    """Area under the ROC curve (of the minority class for two classes, else one-vs-rest,
    macro-averaged over the classes present in the fold)."""

    description = "ROC AUC"
    needs_probabilities = True

    def __call__(self, truth, predicted, probabilities, classes, minority) -> float:
        import numpy as np
        from sklearn.metrics import roc_auc_score

        present = [c for c in classes if (truth == c).any()]
        if len(present) < 2 or probabilities is None:
            return float("nan")
        if len(classes) == 2:
            return float(roc_auc_score(truth == minority,
                                       probabilities[:, classes.index(minority)]))
        columns = [classes.index(c) for c in present]
        scores = probabilities[:, columns]
        scores = scores / np.clip(scores.sum(axis=1, keepdims=True), 1e-12, None)
        keep = np.isin(truth, present)
        return float(roc_auc_score(truth[keep], scores[keep], labels=present, multi_class="ovr",
                                   average="macro"))


def score(name: str) -> Any:
    """The metric registered as `name`."""
    return SCORES.get(name)()


def names() -> list[str]:
    """Every metric name."""
    return SCORES.names()
