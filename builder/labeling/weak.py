"""Weak labels: the label model fitted on the distinct vote patterns of the whole table (with
its diagnostics), and each partition's weak labels, confidence and conflict flag from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.errors import DataError
from builder.labeling.metrics import accuracy
from builder.labeling.votes import Votes, functions_of
from builder.rows import ABSTAIN

if TYPE_CHECKING:
    from builder.context import Context
    from builder.labeling.gold import Prepared


@dataclass
class Weak:
    """The label model's output per global vote pattern, and each partition's map to them."""

    labels: np.ndarray
    confidence: np.ndarray
    local: dict[str, np.ndarray]


def weak_columns(prepared: Prepared, name: str, ctx: Context, scratch: Path,
                 weak: Weak | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weak labels, their confidence and the conflict flag of a partition's rows."""
    from builder.labeling.models import Patterns

    rows = len(prepared.df)
    if weak is None:
        return np.full(rows, ABSTAIN), np.full(rows, np.nan), np.zeros(rows, dtype=bool)
    n_classes = len(ctx.recipe.task.classes)
    matrix = np.load(scratch / f"{name}.npy")
    pattern = weak.local[name][Patterns.of(matrix, n_classes).inverse]
    distinct = np.zeros(rows, dtype=np.int64)
    for k in range(n_classes):
        distinct += (matrix == k).any(axis=1)
    return weak.labels[pattern], weak.confidence[pattern], distinct >= 2


def fit_label_model(ctx: Context, votes: list[Votes],
                    human: Any = None) -> tuple[Weak, dict[str, Any]]:
    """The label model fitted on the distinct vote patterns of the whole table; diagnostics.
    `human`: the label store's consensus, trusted labels for `model: auto`."""
    from builder.labeling.analysis import analyze
    from builder.labeling.models import MajorityModel, Patterns, make_model

    config, task = ctx.recipe.labeling, ctx.recipe.task
    classes = task.classes
    functions = functions_of(ctx)
    width = len(functions)
    stacked = np.concatenate([v.patterns for v in votes]) if votes else \
        np.zeros((0, width), np.int8)
    merged = Patterns.of(stacked, len(classes))
    local, start = {}, 0
    counts = np.zeros(len(merged.patterns), dtype=np.int64)
    for v in votes:
        local[v.name] = merged.inverse[start:start + len(v.patterns)]
        np.add.at(counts, local[v.name], v.counts)
        start += len(v.patterns)
    table = Patterns(merged.patterns, np.arange(len(merged.patterns)), counts)

    def expand(pairs_of) -> tuple[np.ndarray, np.ndarray]:
        pattern, gold = [], []
        for v in votes:
            p, g, n = pairs_of(v)
            pattern.append(np.repeat(local[v.name][p], n))
            gold.append(np.repeat(g, n))
        return (np.concatenate(pattern) if pattern else np.zeros(0, np.int64),
                np.concatenate(gold) if gold else np.zeros(0, np.int64))

    evaluated, evaluated_gold = expand(lambda v: v.evaluate_pairs)
    names_ = [f.name for f in functions]
    kinds = [f.type_name + (" (row by row)" if f.slow else "") for f in functions]
    metrics = analyze(Patterns(table.patterns, evaluated, counts), names_, kinds, classes,
                      evaluated_gold)
    model = make_model(config.model, len(classes))
    if model.learns_from_dev:
        dev, dev_gold = expand(lambda v: v.dev_pairs)
        if not len(dev):
            raise DataError(f"labeling.model: the {config.model.type} model learns from gold dev "
                            "rows, but no row has a gold label in the dev set; expected gold "
                            "labels.")
        model.fit(table.patterns[dev], dev_gold)
    elif model.learns_from_trusted:
        model.fit_trusted(table, *trusted_rows(votes, local, human, expand, classes))
    else:
        model.fit_patterns(table)
    labels, probabilities = model.predict_patterns(table)
    confidence = np.where(labels >= 0, np.nanmax(np.nan_to_num(probabilities, nan=-1), axis=1),
                          np.nan)
    described = model.describe()
    for key in ("learned_accuracy", "dev_accuracy", "weights"):
        for name, value in zip(names_, described.pop(key, None) or []):
            metrics["functions"][name][key] = value
    described.pop("dev_votes", None)
    metrics["model"] = {"type": config.model.type, **described}
    majority = MajorityModel(len(classes))
    majority.fit_patterns(table)
    majority_labels, _ = majority.predict_patterns(table)
    metrics["weak_accuracy"] = accuracy(labels[evaluated], evaluated_gold)
    metrics["majority_accuracy"] = accuracy(majority_labels[evaluated], evaluated_gold)
    return Weak(labels, confidence, local), metrics


def trusted_rows(votes: list[Votes], local: dict[str, np.ndarray], human: Any, expand,
                 classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(pattern, label) of every row with a trusted label: the store's consensus for rows in
    the label store (else their gold dev or feedback label), gold dev or feedback labels for
    the others."""
    from builder.labeling.human.merge import _positions
    from builder.rows import class_codes

    patterns, labels = expand(lambda v: v.trusted_pairs)
    found = [v.store_rows for v in votes if v.store_rows is not None and len(v.store_rows[0])]
    if not found:
        return patterns, labels
    ids = pd.Series(np.concatenate([f[0] for f in found]), dtype="string")
    store_patterns = np.concatenate([local[v.name][v.store_rows[1]] for v in votes
                                     if v.store_rows is not None and len(v.store_rows[0])])
    store_labels = np.concatenate([f[2] for f in found])
    if human is not None and len(human.rows):
        where = _positions(ids, human.rows["_id"])
        consensus = class_codes(human.rows["label"], classes)
        store_labels = np.where(where >= 0, consensus[np.maximum(where, 0)], store_labels)
    keep = store_labels >= 0
    return (np.concatenate([patterns, store_patterns[keep]]),
            np.concatenate([labels, store_labels[keep]]))

