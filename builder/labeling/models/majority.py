"""`type: majority`: each vote counts once; ties abstain or go to the class prior."""

from __future__ import annotations

import numpy as np

from builder.labeling.config import LABEL_MODELS
from builder.labeling.models.base import LabelModel, break_ties, vote_counts


@LABEL_MODELS.register("majority")
class MajorityModel(LabelModel):
    """Each vote counts once; probabilities are the shares of the votes."""

    def __init__(self, n_classes: int, tie_break: str = "abstain"):
        super().__init__(n_classes)
        self.tie_break = tie_break

    @classmethod
    def from_config(cls, config, n_classes):
        return cls(n_classes, config.tie_break)

    def fit_patterns(self, patterns, dev_labels=None):
        # The class prior used to break ties: classes of untied majority votes, by row count.
        counts = vote_counts(patterns.patterns, self.n_classes)
        labels = break_ties(np.where(counts.sum(1, keepdims=True) > 0, counts, np.nan),
                            "abstain", None)
        prior = np.bincount(labels[labels >= 0], weights=patterns.counts[labels >= 0],
                            minlength=self.n_classes)
        self.prior = (prior + 1e-9 * np.arange(self.n_classes, 0, -1)) / max(prior.sum(), 1)

    def pattern_scores(self, patterns):
        counts = vote_counts(patterns, self.n_classes)
        total = counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, counts / total, np.nan)
