"""Diagnostics of labeling functions, like Snorkel's `LFAnalysis`.

Per function: polarity (the classes it votes for), coverage (share of rows it votes on),
overlaps (share of rows where it and another function vote), conflicts (share of rows where
another function votes for a different class), and, where gold labels exist, its empirical
accuracy. Also the pairwise conflict matrix and the totals. Computed on the distinct vote
patterns, weighted by their counts.
"""

from __future__ import annotations

import numpy as np

from builder.labeling.models import Patterns


def _share(count: float, total: int) -> float:
    return round(float(count) / total, 4) if total else 0.0


def analyze(patterns: Patterns, names: list[str], kinds: list[str], classes: list[str],
            gold: np.ndarray | None = None) -> dict:
    """Diagnostics for the functions behind `patterns`; `gold` holds class indices per row
    (-1 where unknown) for the empirical accuracies."""
    votes, counts = patterns.patterns, patterns.counts.astype(np.float64)
    rows = int(counts.sum())
    voted = votes >= 0
    n_votes = voted.sum(axis=1)
    distinct = np.zeros(len(votes), dtype=np.int64)
    for k in range(len(classes)):
        distinct += (votes == k).any(axis=1)
    functions = {}
    correct = incorrect = None
    if gold is not None:
        correct, incorrect = _gold_counts(patterns, gold, len(names))
    for j, name in enumerate(names):
        mine = voted[:, j]
        polarity = sorted({classes[int(v)] for v in np.unique(votes[mine, j])})
        entry = {
            "type": kinds[j],
            "polarity": polarity,
            "coverage": _share(counts[mine].sum(), rows),
            "overlaps": _share(counts[mine & (n_votes >= 2)].sum(), rows),
            "conflicts": _share(counts[mine & (distinct >= 2)].sum(), rows),
        }
        if correct is not None:
            judged = int(correct[j] + incorrect[j])
            entry.update({"correct": int(correct[j]), "incorrect": int(incorrect[j]),
                          "empirical_accuracy": round(correct[j] / judged, 4) if judged else None})
        functions[name] = entry
    conflict_matrix = []
    for i in range(len(names)):
        both = voted[:, i][:, None] & voted & (votes[:, i][:, None] != votes)
        conflict_matrix.append([_share(counts[both[:, j]].sum(), rows) for j in range(len(names))])
    return {
        "functions": functions,
        "conflict_matrix": {"names": names, "shares": conflict_matrix},
        "coverage": _share(counts[n_votes >= 1].sum(), rows),
        "overlap": _share(counts[n_votes >= 2].sum(), rows),
        "conflict": _share(counts[distinct >= 2].sum(), rows),
        "patterns": len(votes),
    }


def _gold_counts(patterns: Patterns, gold: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Per function: votes that equal / differ from the gold label, over rows with gold."""
    known = gold >= 0
    pairs = patterns.inverse[known].astype(np.int64) * (int(gold.max(initial=0)) + 1) + gold[known]
    keys, counts = np.unique(pairs, return_counts=True)
    base = int(gold.max(initial=0)) + 1
    pattern_votes = patterns.patterns[keys // base]
    truth = (keys % base)[:, None]
    voted = pattern_votes >= 0
    correct = ((pattern_votes == truth) & voted) * counts[:, None]
    incorrect = ((pattern_votes != truth) & voted) * counts[:, None]
    return correct.sum(axis=0), incorrect.sum(axis=0)
