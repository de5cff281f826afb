"""`type: auto`: the label model most accurate on the rows whose label is trusted (gold dev rows,
human labels from the store, feedback corrections), or the default model when too few of them
got a vote to tell the models apart."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from builder.labeling.config import LABEL_MODELS, ModelConfig
from builder.labeling.models.base import LabelModel, Patterns, break_ties

#: The models `auto` compares, the default first: on equal accuracy the earlier one wins.
CANDIDATES = ("anchored_dawid_skene", "dawid_skene", "majority", "weighted")
#: `weighted` learns from the trusted rows themselves: its accuracy on them is measured out of
#: fold, each fifth of the rows predicted by weights learned on the other four fifths.
FOLDS = 5


@LABEL_MODELS.register("auto")
class AutoModel(LabelModel):
    """Fits every candidate, scores each on the trusted rows that got a vote (a tie or an
    abstention counts as wrong) and predicts with the best one, when there are at least
    `min_dev_rows` such rows; otherwise with the default (`CANDIDATES[0]`). `describe()["auto"]`
    says which was chosen, why, each candidate's accuracy and how many rows it rests on."""

    learns_from_trusted = True

    def __init__(self, n_classes: int, config: ModelConfig | None = None):
        super().__init__(n_classes)
        self.config = config or ModelConfig()
        self.chosen: LabelModel | None = None
        self.report: dict = {}

    @classmethod
    def from_config(cls, config, n_classes):
        return cls(n_classes, config)

    def candidate(self, name: str) -> LabelModel:
        """A fresh model `name`, with this recipe's settings."""
        return LABEL_MODELS.get(name).from_config(replace(self.config, type=name),
                                                  self.n_classes)

    def fit(self, matrix, dev_labels=None):
        """Fit on a label matrix; rows whose `dev_labels` is a class (not -1) are trusted."""
        patterns = Patterns.of(matrix, self.n_classes)
        labels = np.full(len(patterns.inverse), -1) if dev_labels is None \
            else np.asarray(dev_labels)
        known = labels >= 0
        self.fit_trusted(patterns, patterns.inverse[known], labels[known])
        return self

    def fit_patterns(self, patterns, dev_labels=None):
        self.fit_trusted(patterns, np.zeros(0, np.int64), np.zeros(0, np.int64))

    def fit_trusted(self, table: Patterns, trusted: np.ndarray, labels: np.ndarray) -> None:
        """Fit on the distinct patterns `table` of all rows; `trusted` holds, per trusted row,
        the index of its pattern in `table` and `labels` its class."""
        trusted, labels = np.asarray(trusted, np.int64), np.asarray(labels, np.int64)
        voted = (table.patterns[trusted] >= 0).any(axis=1) if len(trusted) else \
            np.zeros(0, bool)
        # One canonical order (by pattern, then label), whatever the partitions the rows came
        # from: the out-of-fold folds, and so the choice, do not depend on the partitioning.
        order = np.lexsort((labels[voted], trusted[voted]))
        trusted, labels = trusted[voted][order], labels[voted][order]
        rows, enough = len(trusted), len(trusted) >= self.config.auto.min_dev_rows
        accuracy: dict[str, float | None] = {}
        fitted: dict[str, LabelModel] = {}
        for name in CANDIDATES:
            if LABEL_MODELS.get(name).learns_from_dev:
                accuracy[name] = self._out_of_fold(name, table, trusted, labels)
                if enough and accuracy[name] is not None:
                    fitted[name] = self.candidate(name).fit(table.patterns[trusted], labels)
                continue
            fitted[name] = self.candidate(name)
            fitted[name].fit_patterns(table)
            accuracy[name] = _accuracy(fitted[name], table.patterns[trusted], labels) \
                if rows else None
        if enough:
            scored = [name for name in CANDIDATES if accuracy[name] is not None]
            name = max(scored, key=lambda n: (accuracy[n], -CANDIDATES.index(n)))
            reason = f"most accurate on {rows} voted rows with a trusted label"
        else:
            name = CANDIDATES[0]
            reason = (f"{rows} voted rows with a trusted label, fewer than "
                      f"auto.min_dev_rows ({self.config.auto.min_dev_rows}): the default")
        self.chosen = fitted[name]
        self.tie_break, self.prior = self.chosen.tie_break, self.chosen.prior
        self.report = {"chosen": name, "reason": reason, "trusted_rows": rows,
                       "min_dev_rows": self.config.auto.min_dev_rows,
                       "dev_accuracy": {n: None if a is None else round(a, 4)
                                        for n, a in accuracy.items()}}

    def _out_of_fold(self, name: str, table: Patterns, trusted: np.ndarray,
                     labels: np.ndarray) -> float | None:
        """Accuracy of a model that learns from trusted rows, each fold predicted by a model
        fitted on the others (folds by position in the canonical order: row i is in fold
        i mod `FOLDS`)."""
        if len(trusted) < 2 * FOLDS:
            return None
        fold = np.arange(len(trusted)) % FOLDS
        right = 0
        for f in range(FOLDS):
            model = self.candidate(name).fit(table.patterns[trusted[fold != f]],
                                             labels[fold != f])
            right += int((model.predict(table.patterns[trusted[fold == f]])
                          == labels[fold == f]).sum())
        return right / len(trusted)

    def pattern_scores(self, patterns):
        return self.chosen.pattern_scores(patterns)

    def describe(self):
        described = self.chosen.describe() if self.chosen is not None else super().describe()
        return {**described, "auto": self.report}


def _accuracy(model: LabelModel, patterns: np.ndarray, labels: np.ndarray) -> float:
    """Share of `labels` the model predicts from `patterns` (ties and abstentions wrong)."""
    predicted = break_ties(model.pattern_scores(patterns), model.tie_break, model.prior)
    return float((predicted == labels).mean())
