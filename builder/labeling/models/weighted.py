"""`type: weighted`: votes weighted by the log-odds of each function's accuracy on gold dev rows."""

from __future__ import annotations

import numpy as np

from builder.labeling.config import LABEL_MODELS
from builder.labeling.models.base import LabelModel


@LABEL_MODELS.register("weighted")
class WeightedModel(LabelModel):
    """Votes weighted by `log(acc / (1 - acc)) + log(K - 1)`, the optimal weight for a function
    of accuracy `acc` whose errors spread evenly over the other classes; `acc` is measured on
    dev rows (rows with a known label) with add-one smoothing."""

    learns_from_dev = True

    def __init__(self, n_classes: int, tie_break: str = "abstain"):
        super().__init__(n_classes)
        self.tie_break = tie_break
        self.weights: np.ndarray | None = None
        self.accuracy: np.ndarray | None = None
        self.dev_votes: np.ndarray | None = None

    @classmethod
    def from_config(cls, config, n_classes):
        return cls(n_classes, config.tie_break)

    def fit(self, matrix, dev_labels=None):
        if dev_labels is None:
            raise ValueError("the weighted model needs dev labels")
        dev_labels = np.asarray(dev_labels)
        dev = dev_labels >= 0
        votes = matrix[dev]
        voted = votes >= 0
        correct = (votes == dev_labels[dev, None]) & voted
        self.dev_votes = voted.sum(axis=0)
        self.accuracy = (correct.sum(axis=0) + 1) / (self.dev_votes + 2)
        acc = np.clip(self.accuracy, 1e-3, 1 - 1e-3)
        self.weights = np.log(acc / (1 - acc)) + np.log(max(self.n_classes - 1, 1))
        known = dev_labels[dev]
        prior = np.bincount(known, minlength=self.n_classes).astype(float) + 1
        self.prior = prior / prior.sum()
        return self

    def fit_patterns(self, patterns, dev_labels=None):
        raise ValueError("the weighted model is fitted on rows (it needs their dev labels)")

    def pattern_scores(self, patterns):
        scores = np.zeros((len(patterns), self.n_classes))
        for k in range(self.n_classes):
            scores[:, k] = ((patterns == k) * self.weights[None, :]).sum(axis=1)
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs = exp / exp.sum(axis=1, keepdims=True)
        return np.where((patterns >= 0).any(axis=1, keepdims=True), probs, np.nan)

    def describe(self):
        return {**super().describe(),
                "dev_accuracy": [round(float(a), 4) for a in self.accuracy],
                "dev_votes": [int(v) for v in self.dev_votes],
                "weights": [round(float(w), 4) for w in self.weights]}
