"""Label models: turn a label matrix (rows x functions, -1 = abstain) into class probabilities.

Every model works on the distinct vote patterns of the matrix and their counts, not on rows:
a million rows of ten functions hold a few hundred patterns, so fitting costs almost nothing
and predicting is one gather. Rows without a vote get no probabilities (NaN) and label -1.

- `MajorityModel`: the share of votes per class; ties abstain or go to the class prior.
- `WeightedModel`: votes weighted by the log-odds of each function's accuracy on dev rows.
- `DawidSkeneModel`: each function's confusion matrix (including how often it abstains for
  each true class) and the class prior, learned by EM without gold labels (Dawid & Skene 1979).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ABSTAIN = -1


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
    """Base class: `fit` on a label matrix, then `predict_proba` / `predict`."""

    tie_break = "abstain"

    def __init__(self, n_classes: int):
        self.n_classes = n_classes
        self.prior: np.ndarray | None = None

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


class MajorityModel(LabelModel):
    """Each vote counts once; probabilities are the shares of the votes."""

    def __init__(self, n_classes: int, tie_break: str = "abstain"):
        super().__init__(n_classes)
        self.tie_break = tie_break

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


class WeightedModel(LabelModel):
    """Votes weighted by `log(acc / (1 - acc)) + log(K - 1)`, the optimal weight for a function
    of accuracy `acc` whose errors spread evenly over the other classes; `acc` is measured on
    dev rows (rows with a known label) with add-one smoothing."""

    def __init__(self, n_classes: int, tie_break: str = "abstain"):
        super().__init__(n_classes)
        self.tie_break = tie_break
        self.weights: np.ndarray | None = None
        self.accuracy: np.ndarray | None = None
        self.dev_votes: np.ndarray | None = None

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


class DawidSkeneModel(LabelModel):
    """Dawid-Skene EM over vote patterns.

    Parameters: the class prior `pi[y]` and, per function `j`, `theta[j, y, v]` = P(function
    `j` outputs `v` | true class `y`), where `v` is abstain or a class. The E step computes the
    posterior of each pattern's class (functions independent given the class); the M step
    re-estimates the parameters from the expected counts, with `smoothing` pseudo-counts.
    EM starts from the majority vote, which fixes which learned class is which.
    """

    def __init__(self, n_classes: int, max_iter: int = 200, tol: float = 1e-6,
                 smoothing: float = 1.0):
        super().__init__(n_classes)
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.theta: np.ndarray | None = None
        self.iterations = 0
        self.log_likelihood = float("nan")

    def _one_hot(self, patterns: np.ndarray) -> np.ndarray:
        """(P, m, K+1): which output (abstain, class 0, ...) each function gave."""
        return np.eye(self.n_classes + 1)[patterns.astype(np.int64) + 1]

    def fit_patterns(self, patterns, dev_labels=None):
        voted = (patterns.patterns >= 0).any(axis=1)
        observed, weights = patterns.patterns[voted], patterns.counts[voted].astype(np.float64)
        m, k = patterns.patterns.shape[1], self.n_classes
        if len(observed) == 0:
            self.theta = np.full((m, k, k + 1), 1.0 / (k + 1))
            self.prior = np.full(k, 1.0 / k)
            return
        onehot = self._one_hot(observed)
        counts = vote_counts(observed, k) + 1e-3  # ties split evenly, no class at exactly 0
        posterior = counts / counts.sum(axis=1, keepdims=True)
        alpha = self.smoothing
        previous = -np.inf
        for iteration in range(1, self.max_iter + 1):
            weighted = posterior * weights[:, None]
            expected = np.einsum("py,pjv->jyv", weighted, onehot) + alpha
            self.theta = expected / expected.sum(axis=2, keepdims=True)
            prior = weighted.sum(axis=0) + alpha
            self.prior = prior / prior.sum()
            log_joint = self._log_joint(onehot)
            top = log_joint.max(axis=1, keepdims=True)
            log_evidence = top[:, 0] + np.log(np.exp(log_joint - top).sum(axis=1))
            posterior = np.exp(log_joint - log_evidence[:, None])
            likelihood = float((weights * log_evidence).sum() / weights.sum())
            self.iterations = iteration
            if likelihood - previous < self.tol:
                break
            previous = likelihood
        self.log_likelihood = likelihood

    def _log_joint(self, onehot: np.ndarray) -> np.ndarray:
        return np.log(self.prior)[None, :] + np.einsum("pjv,jyv->py", onehot, np.log(self.theta))

    def pattern_scores(self, patterns):
        log_joint = self._log_joint(self._one_hot(patterns))
        exp = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))
        probs = exp / exp.sum(axis=1, keepdims=True)
        return np.where((patterns >= 0).any(axis=1, keepdims=True), probs, np.nan)

    def accuracies(self) -> np.ndarray:
        """Each function's learned accuracy: P(its vote is right | it votes)."""
        k = self.n_classes
        right = np.array([np.sum(self.prior * self.theta[j, np.arange(k), np.arange(k) + 1])
                          for j in range(len(self.theta))])
        votes = np.array([np.sum(self.prior * (1 - self.theta[j, :, 0]))
                          for j in range(len(self.theta))])
        return right / np.maximum(votes, 1e-12)

    def describe(self):
        return {**super().describe(), "iterations": self.iterations,
                "log_likelihood": round(self.log_likelihood, 6),
                "learned_accuracy": [round(float(a), 4) for a in self.accuracies()]}


def make_model(config, n_classes: int) -> LabelModel:
    """The label model a `labeling.model` config asks for."""
    if config.type == "majority":
        return MajorityModel(n_classes, config.tie_break)
    if config.type == "weighted":
        return WeightedModel(n_classes, config.tie_break)
    return DawidSkeneModel(n_classes, config.max_iter, config.tol, config.smoothing)
