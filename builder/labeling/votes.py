"""Pass 1 of the label stage: each partition's label matrix (kept in scratch), its distinct vote
patterns with counts, (pattern, gold) counts, and which label-store ids it holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from builder.labeling.config import LABEL_MODELS
from builder.labeling.gold import prepare
from builder.partitions import read_part
from builder.rows import ID

if TYPE_CHECKING:
    from builder.context import Context


def functions_of(ctx: Context) -> list:
    """The recipe's labeling functions, built (`labeling.functions`, in recipe order)."""
    from builder.labeling.apply import build_functions

    task = ctx.recipe.task
    return build_functions(ctx.recipe.labeling.functions, task.classes, task.text, ctx.root)


def pair_counts(pattern: np.ndarray, gold: np.ndarray, rows: np.ndarray,
                n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (pattern, gold class) pairs among `rows`, and how many rows have each."""
    keys = pattern[rows].astype(np.int64) * n_classes + gold[rows]
    values, counts = np.unique(keys, return_counts=True)
    return values // n_classes, values % n_classes, counts


@dataclass
class Votes:
    """Pass 1 of a partition: its vote patterns and what the driver needs besides."""

    name: str
    rows: int
    gold_rows: int
    dev_rows: int
    patterns: np.ndarray | None = None
    counts: np.ndarray | None = None
    evaluate_pairs: tuple | None = None
    dev_pairs: tuple | None = None
    found: np.ndarray | None = None
    #: For `model: auto`: (pattern, label, rows) of rows with a gold dev or feedback label
    #: outside the label store, and (ids, pattern, gold or feedback label or -1) of rows in it,
    #: whose human consensus (known to the driver only) outranks that label.
    trusted_pairs: tuple | None = None
    store_rows: tuple | None = None


def count_votes(name: str, ctx: Context, source: Path, scratch: Path,
                store_ids: pd.Series | None) -> Votes:
    """Apply the labeling functions to one partition (matrix kept in scratch); report its vote
    patterns, (pattern, gold) counts and which label-store ids it holds."""
    from builder.labeling.cached_votes import cached_label_matrix
    from builder.labeling.human.merge import found_ids
    from builder.labeling.models import Patterns

    config = ctx.recipe.labeling
    prepared = prepare(read_part(source / name), ctx)
    votes = Votes(name, len(prepared.df), int((prepared.gold >= 0).sum()), int(prepared.dev.sum()))
    if config.functions:
        n_classes = len(ctx.recipe.task.classes)
        matrix = cached_label_matrix(ctx, source / name, prepared.df, functions_of(ctx),
                                     config.batch_size)
        np.save(scratch / f"{name}.npy", matrix)
        patterns = Patterns.of(matrix, n_classes)
        votes.patterns, votes.counts = patterns.patterns, patterns.counts
        votes.evaluate_pairs = pair_counts(patterns.inverse, prepared.gold,
                                           np.flatnonzero(prepared.evaluate), n_classes)
        votes.dev_pairs = pair_counts(patterns.inverse, prepared.gold,
                                      np.flatnonzero(prepared.dev), n_classes)
        if LABEL_MODELS.get(config.model.type).learns_from_trusted:
            trusted_votes(votes, prepared, patterns.inverse, store_ids, ctx)
    if store_ids is not None:
        votes.found = found_ids(prepared.df[ID], store_ids)
    return votes


def trusted_votes(votes: Votes, prepared, inverse: np.ndarray, store_ids: pd.Series | None,
                  ctx: Context) -> None:
    """The vote patterns of a partition's rows with a trusted label, for `model: auto`: gold
    dev rows (every gold row under `gold.use: label`), else feedback corrections; rows in the
    label store are kept apart with their ids (their human label, if any, comes first)."""
    from builder.rows import FEEDBACK_CORRECTION, class_codes

    classes = ctx.recipe.task.classes
    labels = np.where(prepared.dev, prepared.gold, -1)
    if FEEDBACK_CORRECTION in prepared.df.columns:
        labels = np.where(labels >= 0, labels,
                          class_codes(prepared.df[FEEDBACK_CORRECTION], classes))
    in_store = (prepared.df[ID].astype(str).isin(store_ids.astype(str)).to_numpy()
                if store_ids is not None else np.zeros(len(labels), dtype=bool))
    votes.trusted_pairs = pair_counts(inverse, labels,
                                      np.flatnonzero((labels >= 0) & ~in_store), len(classes))
    votes.store_rows = (prepared.df[ID][in_store].astype(str).to_numpy(), inverse[in_store],
                        labels[in_store])

