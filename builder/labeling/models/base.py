"""What every label model shares: vote patterns, vote counts, tie-breaking, the `LabelModel`
base class, and `make_model`, which builds the model `labeling.model.type` names through the
`LABEL_MODELS` registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from builder.labeling.config import LABEL_MODELS
from builder.rows import ABSTAIN

if TYPE_CHECKING:
    from builder.labeling.config import ModelConfig


@dataclass
class Patterns:
    """The distinct rows of a label matrix: `patterns[inverse]` rebuilds the matrix."""

    patterns: np.ndarray  # (P, m) int8
    inverse: np.ndarray  # (n,) index of each row's pattern
    counts: np.ndarray  # (P,) rows per pattern

    @classmethod
    def of(cls, matrix: np.ndarray, n_classes: int) -> Patterns:
        matrix = np.asarray(matrix, dtype=np.int8)
        rows, width = matrix.shape
        if width == 0:
            return cls(np.zeros((1 if rows else 0, 0), np.int8), np.zeros(rows, np.intp),
                       np.array([rows] if rows else [], dtype=np.int64))
        base = n_classes + 1
        if width * np.log2(base) < 62:
            # One integer key per row: much faster to sort than rows of a 2-D array.
            keys = np.zeros(rows, dtype=np.int64)
            for j in range(width - 1, -1, -1):
                keys = keys * base + (matrix[:, j].astype(np.int64) + 1)
            _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True,
                                                  return_counts=True)
            return cls(matrix[first], inverse.reshape(-1), counts)
        patterns, inverse, counts = np.unique(matrix, axis=0, return_inverse=True,
                                              return_counts=True)
        return cls(patterns, inverse.reshape(-1), counts)


def vote_counts(patterns: np.ndarray, n_classes: int) -> np.ndarray:
    """(P, K) number of votes for each class in each pattern."""
    counts = np.zeros((len(patterns), n_classes), dtype=np.float64)
    for k in range(n_classes):
        counts[:, k] = (patterns == k).sum(axis=1)
    return counts


def break_ties(scores: np.ndarray, policy: str, prior: np.ndarray | None) -> np.ndarray:
    """argmax per row; rows whose best score is shared abstain (-1) or go to the tied class
    with the highest prior; rows with no score (NaN) abstain."""
    empty = np.isnan(scores).all(axis=1)
    filled = np.where(np.isnan(scores), -np.inf, scores)
    best = filled.max(axis=1, keepdims=True)
    tied = np.isclose(filled, best, rtol=0, atol=1e-12) & np.isfinite(filled)
    labels = filled.argmax(axis=1)
    ties = tied.sum(axis=1) > 1
    if policy == "prior" and prior is not None:
        labels = np.where(tied, prior[None, :], -np.inf).argmax(axis=1)
    elif ties.any():
        labels = np.where(ties, ABSTAIN, labels)
    return np.where(empty, ABSTAIN, labels).astype(np.int64)


class LabelModel:
    """Base class: `fit` on a label matrix, then `predict_proba` / `predict`.

    A model is one module of `builder.labeling.models` whose class is registered in
    `LABEL_MODELS` under its `labeling.model.type` name, and built by `from_config`.
    """

    tie_break = "abstain"
    #: Whether the model learns from the votes and labels of gold dev rows (`fit`), not from
    #: the vote patterns of every row (`fit_patterns`).
    learns_from_dev = False
    #: Whether the model compares itself on the rows with a trusted label (gold dev, human,
    #: feedback) through `fit_trusted`, not only on the vote patterns of every row.
    learns_from_trusted = False

    def __init__(self, n_classes: int):
        self.n_classes = n_classes
        self.prior: np.ndarray | None = None

    @classmethod
    def from_config(cls, config: ModelConfig, n_classes: int) -> LabelModel:
        """The model with the settings of a `labeling.model` config."""
        return cls(n_classes)

    def fit(self, matrix: np.ndarray, dev_labels: np.ndarray | None = None) -> LabelModel:
        self.fit_patterns(Patterns.of(matrix, self.n_classes), dev_labels)
        return self

    def fit_patterns(self, patterns: Patterns, dev_labels: np.ndarray | None = None) -> None:
        raise NotImplementedError

    def pattern_scores(self, patterns: np.ndarray) -> np.ndarray:
        """(P, K) class probabilities per pattern; NaN rows for patterns without a vote."""
        raise NotImplementedError

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
        """(n, K) class probabilities; NaN rows where no function voted."""
        patterns = Patterns.of(matrix, self.n_classes)
        return self.pattern_scores(patterns.patterns)[patterns.inverse]

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Class index per row; -1 where no function voted (or a tie under `abstain`)."""
        patterns = Patterns.of(matrix, self.n_classes)
        labels = break_ties(self.pattern_scores(patterns.patterns), self.tie_break, self.prior)
        return labels[patterns.inverse]

    def predict_patterns(self, patterns: Patterns) -> tuple[np.ndarray, np.ndarray]:
        """(labels, probabilities) per row from already computed patterns."""
        scores = self.pattern_scores(patterns.patterns)
        labels = break_ties(scores, self.tie_break, self.prior)
        return labels[patterns.inverse], scores[patterns.inverse]

    def describe(self) -> dict:
        """What the model learned, for the metrics."""
        return {"prior": None if self.prior is None else [round(float(p), 4) for p in self.prior]}


def make_model(config: ModelConfig, n_classes: int) -> LabelModel:
    """The label model a `labeling.model` config asks for."""
    return LABEL_MODELS.get(config.type).from_config(config, n_classes)
