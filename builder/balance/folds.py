"""Cross-validation folds of the real train rows, and the stratified sample they are cut from.

Both come from a seeded hash of each row's `_id` (or of its group, when the split has a group
column), never from row order or partitioning: the same rows and seed give the same folds.

- `sample`: at most `max_rows` train rows, each class in its share (at least `min_per_class` rows
  of a class when it has them): the rows with the smallest keys of each class;
- `fold_numbers`: a fold per row. Rows of a class are ranked by key and dealt round-robin
  (fold = rank mod folds), so every fold holds a class's rows in its share. With a group column,
  whole groups are dealt the same way (ranked by the group's key), so no group straddles a fit
  and its validation fold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from builder.columns import unit_hashes

SALT = "balance-select"


def row_keys(ids: pd.Series, groups: pd.Series | None, seed: int) -> np.ndarray:
    """A number in [0, 1) per row: the key of its group (rows without one: of their `_id`)."""
    if groups is None:
        return unit_hashes(ids.astype(str), seed, SALT)
    text = ("group:" + groups.astype("string")).fillna("row:" + ids.astype(str))
    return unit_hashes(text, seed, SALT)


def sample(labels: np.ndarray, keys: np.ndarray, max_rows: int, min_per_class: int) -> np.ndarray:
    """Positions of a stratified sample of at most `max_rows` rows (all of them if fewer), in
    their original order."""
    if len(labels) <= max_rows:
        return np.arange(len(labels))
    names, counts = np.unique(labels, return_counts=True)
    chosen = []
    for name, count in zip(names, counts):
        rows = np.flatnonzero(labels == name)
        take = min(count, max(min_per_class, int(round(max_rows * count / len(labels)))))
        chosen.append(rows[np.argsort(keys[rows], kind="stable")[:take]])
    return np.sort(np.concatenate(chosen))


def fold_numbers(labels: np.ndarray, keys: np.ndarray, folds: int,
                 grouped: bool = False) -> np.ndarray:
    """A fold in 0..folds-1 per row (see the module docstring)."""
    result = np.zeros(len(labels), dtype=np.int64)
    if grouped:
        unique, inverse = np.unique(keys, return_inverse=True)
        ranks = np.empty(len(unique), dtype=np.int64)
        ranks[np.argsort(unique, kind="stable")] = np.arange(len(unique))
        return ranks[inverse] % folds
    for name in np.unique(labels):
        rows = np.flatnonzero(labels == name)
        order = rows[np.argsort(keys[rows], kind="stable")]
        result[order] = np.arange(len(order)) % folds
    return result
