"""Several annotators per row: agreement metrics and consensus labels.

Everything works on a vote-count matrix (rows x classes, how many annotators chose each class)
or on (row, annotator, class) index triplets, with numpy only: no loop over rows.

- `cohen_kappa`: two annotators on the same rows (Cohen 1960).
- `fleiss_kappa`: any number of annotators per row (Fleiss 1971); with a varying number of
  annotators per row each row's agreement is averaged, which is Fleiss' formula when the number
  is constant.
- `krippendorff_alpha`: nominal alpha from the coincidence matrix (Krippendorff 2011); rows
  with fewer than two values are not pairable and are left out, as the method prescribes.
- `majority` and `dawid_skene`: a consensus class per row; Dawid-Skene (1979) also estimates each
  annotator's confusion matrix, so careful annotators outvote careless ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def vote_counts(rows: np.ndarray, labels: np.ndarray, n_rows: int, n_classes: int) -> np.ndarray:
    """The rows x classes matrix of how many annotators chose each class for each row."""
    counts = np.zeros((n_rows, n_classes), dtype=np.int64)
    np.add.at(counts, (rows, labels), 1)
    return counts


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Cohen's kappa of two annotators' labels for the same rows; None when it is undefined
    (no rows, or both annotators always chose one and the same class)."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa: {len(a)} labels against {len(b)}; expected pairs")
    if len(a) == 0:
        return None
    classes, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    code_a, code_b = codes[: len(a)], codes[len(a):]
    observed = float(np.mean(code_a == code_b))
    share_a = np.bincount(code_a, minlength=len(classes)) / len(a)
    share_b = np.bincount(code_b, minlength=len(classes)) / len(b)
    expected = float(share_a @ share_b)
    if np.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1.0 - expected)


def _pairable(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows with at least two votes, and their vote totals."""
    counts = np.asarray(counts, dtype=np.float64)
    per_row = counts.sum(axis=1)
    return counts[per_row >= 2], per_row[per_row >= 2]


def fleiss_kappa(counts: np.ndarray) -> float | None:
    """Fleiss' kappa from a rows x classes vote-count matrix (rows with < 2 votes ignored)."""
    counts, per_row = _pairable(counts)
    if len(counts) == 0:
        return None
    row_agreement = ((counts**2).sum(axis=1) - per_row) / (per_row * (per_row - 1))
    observed = float(row_agreement.mean())
    shares = counts.sum(axis=0) / per_row.sum()
    expected = float((shares**2).sum())
    if np.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(counts: np.ndarray) -> float | None:
    """Krippendorff's alpha for nominal data from a rows x classes vote-count matrix."""
    counts, per_row = _pairable(counts)
    if len(counts) == 0:
        return None
    weights = 1.0 / (per_row - 1)
    # Coincidences: every ordered pair of values within a row, each row weighted 1 / (m - 1).
    coincidence = (counts * weights[:, None]).T @ counts
    coincidence -= np.diag((counts * weights[:, None]).sum(axis=0))
    totals = coincidence.sum(axis=1)
    n = totals.sum()
    expected = n * n - float((totals**2).sum())
    if expected <= 0:
        return None
    observed = n - float(np.trace(coincidence))
    return 1.0 - (n - 1) * observed / expected


def majority(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class index per row, or -1 on a tie or without votes; share of votes for it)."""
    counts = np.asarray(counts)
    total = counts.sum(axis=1)
    best = counts.argmax(axis=1)
    top = counts.max(axis=1)
    tied = (counts == top[:, None]).sum(axis=1) > 1
    winner = np.where(tied | (total == 0), -1, best)
    share = np.divide(top, total, out=np.zeros(len(total)), where=total > 0)
    return winner, share


@dataclass
class DawidSkene:
    """A fitted Dawid-Skene model: per-row class posteriors and per-annotator confusions."""

    posterior: np.ndarray  # rows x classes
    confusion: np.ndarray  # annotators x true class x given class (rows sum to 1)
    priors: np.ndarray  # classes
    iterations: int

    def accuracy(self) -> np.ndarray:
        """Each annotator's estimated probability of giving the true class."""
        diagonal = np.diagonal(self.confusion, axis1=1, axis2=2)
        return diagonal @ self.priors


def dawid_skene(rows: np.ndarray, annotators: np.ndarray, labels: np.ndarray, n_rows: int,
                n_annotators: int, n_classes: int, max_iter: int = 200, tol: float = 1e-6,
                smoothing: float = 0.5) -> DawidSkene:
    """Fit Dawid-Skene by EM from (row, annotator, class) triplets, starting from majority vote.

    `smoothing` is a Dirichlet pseudo-count added to every confusion cell, so an annotator seen
    on few rows is not trusted (or distrusted) absolutely.
    """
    counts = vote_counts(rows, labels, n_rows, n_classes)
    totals = counts.sum(axis=1, keepdims=True)
    posterior = np.divide(counts, totals, out=np.full(counts.shape, 1.0 / n_classes),
                          where=totals > 0)
    confusion = np.full((n_annotators, n_classes, n_classes), 1.0 / n_classes)
    priors = np.full(n_classes, 1.0 / n_classes)
    given = annotators * n_classes + labels  # (annotator, given class) of each vote
    iteration = 0
    for iteration in range(1, max_iter + 1):
        # M-step: class priors and each annotator's confusion matrix from the soft labels.
        priors = (posterior.sum(axis=0) + smoothing) / (n_rows + n_classes * smoothing)
        confusion = np.stack([
            np.bincount(given, weights=posterior[rows, true], minlength=n_annotators * n_classes)
            .reshape(n_annotators, n_classes) for true in range(n_classes)], axis=1) + smoothing
        confusion /= confusion.sum(axis=2, keepdims=True)
        # E-step: each row's posterior from the prior and its annotators' likelihoods.
        log_confusion = np.log(confusion)
        log_post = np.log(priors) + np.stack([
            np.bincount(rows, weights=log_confusion[annotators, true, labels], minlength=n_rows)
            for true in range(n_classes)], axis=1)
        log_post -= log_post.max(axis=1, keepdims=True)
        updated = np.exp(log_post)
        updated /= updated.sum(axis=1, keepdims=True)
        change = float(np.abs(updated - posterior).max()) if n_rows else 0.0
        posterior = updated
        if change < tol:
            break
    return DawidSkene(posterior=posterior, confusion=confusion, priors=priors,
                      iterations=iteration)


def argmax_or_tie(probabilities: np.ndarray, atol: float = 1e-9) -> np.ndarray:
    """The most probable class per row, or -1 where two classes share the top probability."""
    best = probabilities.argmax(axis=1)
    top = probabilities.max(axis=1, keepdims=True)
    tied = (np.abs(probabilities - top) <= atol).sum(axis=1) > 1
    return np.where(tied, -1, best)


@dataclass
class Consensus:
    """The outcome of aggregating annotations: one row per annotated `_id`, plus metrics."""

    rows: pd.DataFrame  # _id, label (class name or NA), confidence, annotators, agreement
    metrics: dict[str, Any]


def aggregate(annotations: pd.DataFrame, classes: list[str], method: str) -> Consensus:
    """Consensus labels and agreement figures from current annotations (`_id`, `annotator`,
    `label`, one row per annotator and row id).

    A row's `agreement` is the share of its annotators who chose the consensus class (null for a
    single annotator; the top share for a tie); its `confidence` is the vote share for
    `majority` and the posterior probability for `dawid_skene`. Ties give no consensus
    (`label` NA).
    """
    import pandas as pd

    row_index, ids = pd.factorize(annotations["_id"].astype("string"), sort=True)
    person_index, people = pd.factorize(annotations["annotator"].astype("string"), sort=True)
    ids, people = np.asarray(ids, dtype=object), np.asarray(people, dtype=object)
    label_index = pd.Categorical(annotations["label"], categories=classes).codes.astype(np.int64)
    counts = vote_counts(row_index, label_index, len(ids), len(classes))
    winner, share = majority(counts)
    ds = None
    confidence = share
    if method == "dawid_skene" and len(ids):
        ds = dawid_skene(row_index, person_index, label_index, len(ids), len(people),
                         len(classes))
        winner = argmax_or_tie(ds.posterior)
        confidence = ds.posterior.max(axis=1)
    per_row = counts.sum(axis=1)
    # A tie has no consensus class; its agreement is the top share of votes (1/2 for 1-1).
    chosen = np.where(winner >= 0, counts[np.arange(len(ids)), np.maximum(winner, 0)],
                      counts.max(axis=1, initial=0))
    agreement = np.where(per_row >= 2, chosen / np.maximum(per_row, 1), np.nan)
    labels = pd.Series(pd.Categorical.from_codes(winner, categories=classes)
                       if len(ids) else pd.Categorical([], categories=classes))
    rows = pd.DataFrame({
        "_id": ids,
        "label": labels.astype("string").to_numpy(),
        "confidence": np.where(winner >= 0, confidence, np.nan),
        "annotators": per_row,
        "agreement": agreement,
    })
    metrics = {
        "method": method,
        "rows": int(len(ids)),
        "rows_with_several_annotators": int((per_row >= 2).sum()),
        "ties": int((winner < 0).sum()),
        "krippendorff_alpha": _round(krippendorff_alpha(counts)),
        "fleiss_kappa": _round(fleiss_kappa(counts)),
        "cohen_kappa": pairwise_cohen(row_index, person_index, label_index, people),
        "annotators": annotator_stats(row_index, person_index, label_index, people, winner,
                                      per_row, ds),
    }
    if ds is not None:
        metrics["dawid_skene_iterations"] = ds.iterations
    return Consensus(rows=rows, metrics=metrics)


def pairwise_cohen(rows: np.ndarray, people: np.ndarray, labels: np.ndarray,
                   names: np.ndarray, min_shared: int = 2) -> list[dict[str, Any]]:
    """Cohen's kappa for every pair of annotators who labeled at least `min_shared` rows."""
    import pandas as pd

    wide = pd.DataFrame({"row": rows, "who": people, "label": labels}).pivot(
        index="row", columns="who", values="label")
    pairs = []
    columns = list(wide.columns)
    for i, first in enumerate(columns):
        for second in columns[i + 1:]:
            both = wide[[first, second]].dropna()
            if len(both) >= min_shared:
                pairs.append({"annotators": [str(names[first]), str(names[second])],
                              "rows": int(len(both)),
                              "kappa": _round(cohen_kappa(both[first], both[second]))})
    return pairs


def annotator_stats(rows: np.ndarray, people: np.ndarray, labels: np.ndarray, names: np.ndarray,
                    winner: np.ndarray, per_row: np.ndarray, ds: DawidSkene | None
                    ) -> dict[str, dict[str, Any]]:
    """Per annotator: labels given, and accuracy against the consensus on rows that several
    annotators labeled (and the Dawid-Skene estimate when that model was fitted)."""
    shared = (per_row[rows] >= 2) & (winner[rows] >= 0)
    agrees = (labels == winner[rows]) & shared
    given = np.bincount(people, minlength=len(names))
    compared = np.bincount(people, weights=shared, minlength=len(names))
    agreed = np.bincount(people, weights=agrees, minlength=len(names))
    estimated = ds.accuracy() if ds is not None else None
    stats = {}
    for i, name in enumerate(names):
        entry: dict[str, Any] = {
            "labels": int(given[i]),
            "compared": int(compared[i]),
            "accuracy_vs_consensus": _round(agreed[i] / compared[i]) if compared[i] else None,
        }
        if estimated is not None:
            entry["estimated_accuracy"] = _round(float(estimated[i]))
        stats[str(name)] = entry
    return stats


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), digits)
