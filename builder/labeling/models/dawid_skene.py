"""Label models: turn a label matrix (rows x functions, -1 = abstain) into class probabilities.

Every model works on the distinct vote patterns of the matrix and their counts, not on rows:
a million rows of ten functions hold a few hundred patterns, so fitting costs almost nothing
and predicting is one gather. Rows without a vote get no probabilities (NaN) and label -1.

- `MajorityModel`: the share of votes per class; ties abstain or go to the class prior.
- `WeightedModel`: votes weighted by the log-odds of each function's accuracy on dev rows.
- `DawidSkeneModel`: each function's confusion matrix (including how often it abstains for
  each true class) and the class prior, learned by EM without gold labels (Dawid & Skene 1979);
  functions that depend on each other beyond the class are modelled jointly.
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


#: Two functions are dependent when their vote/abstain table departs from the expected one by
#: more than the chi-square critical value for one degree of freedom at p = 0.001 ...
DEPENDENCE_CHI2 = 10.83
#: ... and they co-vote on at least this many times as many rows as expected (an effect size,
#: so that a million rows do not make every slight dependence count) ...
DEPENDENCE_LIFT = 2.0
#: ... and on at least this many rows.
DEPENDENCE_MIN_ROWS = 5
#: Floor of probabilities before taking logs (an output no row gave has probability 0).
_TINY = 1e-300


class DawidSkeneModel(LabelModel):
    """Dawid-Skene EM over vote patterns, with dependent functions modelled jointly.

    Parameters: the class prior `prior[y]` over all rows and, per block of functions,
    `tables[b][y, o]` = P(the block's functions give the joint output `o` | true class `y`),
    where each function's output is abstain or a class. A block is one function, as in Dawid
    & Skene (1979), unless two functions are found dependent given the class (below). The E
    step computes each pattern's class posterior (blocks independent given the class); the M
    step re-estimates the parameters from the expected counts. EM starts from the majority
    vote, which fixes which learned class is which.

    Three choices keep the learned accuracies honest when functions are sparse, vote for one
    class each and share words:

    - Rows without a vote are part of the likelihood (one pattern weighted by their count).
      Fitted on voted rows only, as if the functions were still independent given the class,
      the model is wrong: among rows that got a vote, one function's abstain makes the others'
      votes likelier. With sparse one-class functions, a class then shrinks to "the rows its
      most frequent function voted on", and rows voted on only by its other functions go to
      another class (the reviews example's `formula` came out at 0.12, against 0.71 on gold).
    - `smoothing` pseudo-rows per class and block are spread like the block's outputs over
      all rows, so a sparse function's rate on a small class shrinks towards its overall
      rate, not towards uniform (one pseudo-count per output on a class of a few hundred rows
      outweighs a function that votes on 1% of rows).
    - Local dependence: two functions that fire on the same words (a rotten rule on "not
      funny", a fresh one on "funny") would otherwise count as independent evidence against
      each other (`negated_praise` came out at 0.09, against 0.91 on gold). Before fitting,
      functions that vote for different classes yet fire together far more often than
      independent ones become one block (`_conflicting_dependent_pairs`); after each fit, the
      pair whose vote/abstain table departs most from the one the model expects (the
      bivariate residual of latent class analysis) becomes one block and EM runs again, until
      no pair qualifies (see `DEPENDENCE_CHI2`, `DEPENDENCE_LIFT`, `DEPENDENCE_MIN_ROWS`).
      Blocks hold at most `max_block` functions; `dependent` lists the pairs merged.
    """

    def __init__(self, n_classes: int, max_iter: int = 200, tol: float = 1e-6,
                 smoothing: float = 1.0, max_block: int = 2):
        super().__init__(n_classes)
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.max_block = max_block
        self.blocks: list[tuple[int, ...]] = []
        self.tables: list[np.ndarray] = []
        self.dependent: list[dict] = []
        self.iterations = 0
        self.log_likelihood = float("nan")

    def fit_patterns(self, patterns, dev_labels=None):
        observed, weights = patterns.patterns, patterns.counts.astype(np.float64)
        k, width = self.n_classes, observed.shape[1]
        self.blocks, self.dependent, self.iterations = [(j,) for j in range(width)], [], 0
        if not (observed >= 0).any():
            self.tables = [np.full((k, k + 1), 1.0 / (k + 1)) for _ in range(width)]
            self.prior = np.full(k, 1.0 / k)
            return
        counts = vote_counts(observed, k) + 1e-3  # ties split evenly, no class at exactly 0
        majority = counts / counts.sum(axis=1, keepdims=True)
        for pair in self._conflicting_dependent_pairs(observed, weights):
            self._merge(pair)
        while True:
            # Each fit starts from the majority vote again: the previous fit's posteriors carry
            # the distortion that the dependence just found caused.
            self._expectation_maximization(observed, weights, majority)
            pair = self._most_dependent_pair(observed, weights)
            if pair is None or not self._merge(pair):
                break

    def _merge(self, pair: dict) -> bool:
        """Model the two functions of `pair` jointly (False when their blocks are one already
        or would grow beyond `max_block`)."""
        first, second = (self._block_of(j) for j in pair["functions"])
        merged = tuple(sorted(self.blocks[first] + self.blocks[second]))
        if first == second or len(merged) > self.max_block:
            return False
        self.blocks = [b for i, b in enumerate(self.blocks) if i not in (first, second)]
        self.blocks.append(merged)
        self.dependent.append(pair)
        return True

    def _codes(self, patterns: np.ndarray, block: tuple[int, ...]) -> np.ndarray:
        """Each pattern's joint output of `block`: an index into the block's table."""
        codes = np.zeros(len(patterns), dtype=np.int64)
        for j in block:
            codes = codes * (self.n_classes + 1) + (patterns[:, j].astype(np.int64) + 1)
        return codes

    def _outputs(self, block: tuple[int, ...]) -> np.ndarray:
        """(outputs, len(block)): what each function of `block` gives in each joint output
        (-1 = abstain, else the class)."""
        digits = np.indices((self.n_classes + 1,) * len(block)).reshape(len(block), -1).T
        return digits - 1

    def _expectation_maximization(self, observed: np.ndarray, weights: np.ndarray,
                                  posterior: np.ndarray) -> None:
        k = self.n_classes
        codes = [self._codes(observed, block) for block in self.blocks]
        sizes = [(k + 1) ** len(block) for block in self.blocks]
        total = weights.sum()
        # Pseudo-rows spread like the block's outputs (one extra row spread evenly, so that an
        # output no row gave keeps a tiny probability).
        pseudo = [self.smoothing * (np.bincount(c, weights, minlength=s) + 1.0 / s) / (total + 1)
                  for c, s in zip(codes, sizes)]
        previous = likelihood = -np.inf
        for iteration in range(1, self.max_iter + 1):
            weighted = posterior * weights[:, None]
            self.tables = []
            for c, s, p in zip(codes, sizes, pseudo):
                expected = np.stack([np.bincount(c, weighted[:, y], minlength=s)
                                     for y in range(k)]) + p[None, :]
                self.tables.append(expected / np.maximum(expected.sum(axis=1, keepdims=True),
                                                         _TINY))
            prior = weighted.sum(axis=0) + self.smoothing
            self.prior = prior / prior.sum()
            log_joint = self._log_joint(codes)
            top = log_joint.max(axis=1, keepdims=True)
            log_evidence = top[:, 0] + np.log(np.exp(log_joint - top).sum(axis=1))
            posterior = np.exp(log_joint - log_evidence[:, None])
            likelihood = float((weights * log_evidence).sum() / total)
            self.iterations += 1
            if likelihood - previous < self.tol:
                break
            previous = likelihood
        self.log_likelihood = likelihood

    def _log_joint(self, codes: list[np.ndarray]) -> np.ndarray:
        """(P, K) log P(class, pattern) from each pattern's block outputs."""
        log_joint = np.log(np.maximum(self.prior, _TINY))[None, :]
        for table, c in zip(self.tables, codes):
            log_joint = log_joint + np.log(np.maximum(table, _TINY))[:, c].T
        return log_joint

    def _block_of(self, function: int) -> int:
        return next(i for i, block in enumerate(self.blocks) if function in block)

    def vote_rates(self) -> np.ndarray:
        """(functions, K): P(function votes | true class), from the blocks' tables."""
        width = sum(len(block) for block in self.blocks)
        rates = np.zeros((width, self.n_classes))
        for block, table in zip(self.blocks, self.tables):
            outputs = self._outputs(block)
            for position, j in enumerate(block):
                rates[j] = table[:, outputs[:, position] >= 0].sum(axis=1)
        return rates

    def _pairs(self, observed: np.ndarray, weights: np.ndarray, expected_votes: np.ndarray,
               expected_both: np.ndarray, test: str) -> list[dict]:
        """Pairs of functions (in different blocks) whose co-votes and vote/abstain table
        depart from the expected ones beyond the `DEPENDENCE_*` limits; the strongest first."""
        voted = (observed >= 0).astype(np.float64)
        total = weights.sum()
        votes = weights @ voted
        both = (voted * weights[:, None]).T @ voted
        cells = [(both, expected_both),
                 (votes[:, None] - both, expected_votes[:, None] - expected_both),
                 (votes[None, :] - both, expected_votes[None, :] - expected_both),
                 (total - votes[:, None] - votes[None, :] + both,
                  total - expected_votes[:, None] - expected_votes[None, :] + expected_both)]
        residual = sum((o - e) ** 2 / np.maximum(e, 1e-9) for o, e in cells)
        block = np.array([self._block_of(j) for j in range(len(votes))])
        candidate = (np.triu(np.ones_like(both, dtype=bool), 1)
                     & (block[:, None] != block[None, :])
                     & (both >= DEPENDENCE_MIN_ROWS)
                     & (both >= DEPENDENCE_LIFT * expected_both)
                     & (residual > DEPENDENCE_CHI2))
        pairs = [{"functions": [int(i), int(j)], "test": test, "co_votes": int(round(both[i, j])),
                  "expected": round(float(expected_both[i, j]), 2),
                  "residual": round(float(residual[i, j]), 2)}
                 for i, j in zip(*np.nonzero(candidate))]
        return sorted(pairs, key=lambda pair: -pair["residual"])

    def _conflicting_dependent_pairs(self, observed: np.ndarray,
                                     weights: np.ndarray) -> list[dict]:
        """Pairs of functions that vote for different classes yet fire together far more often
        than if they were independent (a shared trigger: "funny" in "not funny").

        Given the class, two such functions co-vote only where one of them is wrong, so two
        useful ones are not positively associated. Found before any fit, because EM on such a
        pair can settle on a class that means "the rows the first one fires on", after which
        the fitted model explains the pair and no residual shows it."""
        voted = observed >= 0
        total = weights.sum()
        share = weights @ voted / total
        polarity = np.stack([(weights[:, None] * (observed == y)).sum(axis=0) > 0
                             for y in range(self.n_classes)], axis=1)
        disjoint = ~(polarity.astype(int) @ polarity.T.astype(int)).astype(bool)
        pairs = self._pairs(observed, weights, total * share, total * np.outer(share, share),
                            "conflicting votes")
        return [pair for pair in pairs if disjoint[pair["functions"][0], pair["functions"][1]]]

    def _most_dependent_pair(self, observed: np.ndarray, weights: np.ndarray) -> dict | None:
        """After a fit: the pair whose votes depend on each other most beyond what the class
        explains (the bivariate residual of latent class analysis), or None."""
        rates = self.vote_rates()
        total = weights.sum()
        pairs = self._pairs(observed, weights, total * (rates @ self.prior),
                            total * np.einsum("y,iy,jy->ij", self.prior, rates, rates),
                            "model residual")
        sizes = {j: len(self.blocks[self._block_of(j)]) for j in range(len(rates))}
        allowed = [p for p in pairs if sum(sizes[j] for j in p["functions"]) <= self.max_block]
        return allowed[0] if allowed else None

    def pattern_scores(self, patterns):
        log_joint = self._log_joint([self._codes(patterns, block) for block in self.blocks])
        exp = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))
        probs = exp / exp.sum(axis=1, keepdims=True)
        return np.where((patterns >= 0).any(axis=1, keepdims=True), probs, np.nan)

    def accuracies(self) -> np.ndarray:
        """Each function's learned accuracy: P(its vote is right | it votes)."""
        width = sum(len(block) for block in self.blocks)
        right, votes = np.zeros(width), np.zeros(width)
        classes = np.arange(self.n_classes)[:, None]
        for block, table in zip(self.blocks, self.tables):
            outputs = self._outputs(block)
            for position, j in enumerate(block):
                given = outputs[:, position][None, :]
                right[j] = self.prior @ (table * (given == classes)).sum(axis=1)
                votes[j] = self.prior @ (table * (given >= 0)).sum(axis=1)
        return right / np.maximum(votes, 1e-12)

    def describe(self):
        return {**super().describe(), "iterations": self.iterations,
                "log_likelihood": round(self.log_likelihood, 6),
                "dependent_functions": self.dependent,
                "learned_accuracy": [round(float(a), 4) for a in self.accuracies()]}


def make_model(config, n_classes: int) -> LabelModel:
    """The label model a `labeling.model` config asks for."""
    if config.type == "majority":
        return MajorityModel(n_classes, config.tie_break)
    if config.type == "weighted":
        return WeightedModel(n_classes, config.tie_break)
    return DawidSkeneModel(n_classes, config.max_iter, config.tol, config.smoothing)
