"""Pass 1 of the label stage: each partition's label matrix (kept in scratch), its distinct vote
patterns with counts, (pattern, gold) counts, and which label-store ids it holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

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


def count_votes(name: str, ctx: Context, source: Path, scratch: Path,
                store_ids: pd.Series | None) -> Votes:
    """Apply the labeling functions to one partition (matrix kept in scratch); report its vote
    patterns, (pattern, gold) counts and which label-store ids it holds."""
    from builder.labeling.apply import label_matrix
    from builder.labeling.human.merge import found_ids
    from builder.labeling.models import Patterns

    config = ctx.recipe.labeling
    prepared = prepare(read_part(source / name), ctx)
    votes = Votes(name, len(prepared.df), int((prepared.gold >= 0).sum()), int(prepared.dev.sum()))
    if config.functions:
        n_classes = len(ctx.recipe.task.classes)
        matrix = label_matrix(prepared.df, functions_of(ctx), config.batch_size)
        np.save(scratch / f"{name}.npy", matrix)
        patterns = Patterns.of(matrix, n_classes)
        votes.patterns, votes.counts = patterns.patterns, patterns.counts
        votes.evaluate_pairs = pair_counts(patterns.inverse, prepared.gold,
                                           np.flatnonzero(prepared.evaluate), n_classes)
        votes.dev_pairs = pair_counts(patterns.inverse, prepared.gold,
                                      np.flatnonzero(prepared.dev), n_classes)
    if store_ids is not None:
        votes.found = found_ids(prepared.df[ID], store_ids)
    return votes
