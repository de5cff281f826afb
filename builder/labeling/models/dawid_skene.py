"""`type: dawid_skene`: each function's confusion matrix (including how often it abstains for each
true class) and the class prior, learned by EM without gold labels (Dawid & Skene 1979);
functions that depend on each other beyond the class are modelled jointly."""

from __future__ import annotations

import numpy as np

from builder.labeling.config import LABEL_MODELS
from builder.labeling.models.base import LabelModel, vote_counts

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


@LABEL_MODELS.register("dawid_skene")
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

    @classmethod
    def from_config(cls, config, n_classes):
        return cls(n_classes, config.max_iter, config.tol, config.smoothing)

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
        start, previous, likelihood = posterior, -np.inf, -np.inf
        for iteration in range(1, self.max_iter + 1):
            weighted = self._responsibilities(observed, posterior, start) * weights[:, None]
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

    def _responsibilities(self, observed: np.ndarray, posterior: np.ndarray,
                          start: np.ndarray) -> np.ndarray:
        """The class weights the M step counts each pattern with: here the E step's posterior
        (`start` is the majority vote EM started from; a subclass may hold EM to it)."""
        return posterior

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
