"""Suspected label errors by confident learning (Northcutt, Jiang & Chuang, 2021).

Given each row's label and out-of-fold class probabilities, the threshold of class `k` is the
mean probability of `k` over the rows labeled `k` (the model's self-confidence on that class).
A row counts towards class `j` when `p[j]` reaches `j`'s threshold (the highest such `j` when
several do); a row labeled `i` that counts towards some `j != i` is off the diagonal of the
confident joint: a suspected label error, with `j` as the suggested class.
"""

from __future__ import annotations

import numpy as np


def class_thresholds(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per class, the mean predicted probability of that class over rows labeled with it."""
    n_classes = probabilities.shape[1]
    thresholds = np.full(n_classes, np.inf)
    for k in range(n_classes):
        mine = labels == k
        if mine.any():
            thresholds[k] = probabilities[mine, k].mean()
    return thresholds


def suspects(labels: np.ndarray, probabilities: np.ndarray,
             thresholds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(suspect, suggested): rows whose label `labels` (class index, -1 = none) sits off the
    confident joint's diagonal, and the class they count towards (-1 where none). The class
    thresholds come from these rows, unless given (computed over the whole table when the
    rows are one partition of it)."""
    usable = (labels >= 0) & ~np.isnan(probabilities).any(axis=1)
    if thresholds is None:
        thresholds = class_thresholds(labels[usable], probabilities[usable])
    above = probabilities >= thresholds[None, :]
    scores = np.where(above, probabilities, -np.inf)
    suggested = np.where(above.any(axis=1), scores.argmax(axis=1), -1)
    suggested = np.where(usable, suggested, -1)
    return usable & (suggested >= 0) & (suggested != labels), suggested
