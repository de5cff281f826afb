"""Human labels of this build: the label store's consensus over the rows the build holds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.columns import STRING
from builder.labeling.votes import Votes, count_votes
from builder.rows import ID

if TYPE_CHECKING:
    from builder.context import Context
    from builder.partitions import Partitions


def human_consensus_of(ctx: Context, parts: Partitions, source: Path, scratch: Path,
                       votes: list[Votes] | None) -> tuple[Any, dict[str, Any]]:
    """The label store's consensus over the rows of this build (None for an empty store)."""
    from builder.labeling.human.merge import human_consensus, store_annotations

    task, config = ctx.recipe.task, ctx.recipe.labeling.human
    store_dir = config.store_dir(ctx.root, ctx.recipe.name)
    try:
        display = str(store_dir.resolve().relative_to(ctx.root.resolve()))
    except ValueError:
        display = str(store_dir)
    annotations, metrics = store_annotations(store_dir, task, display)
    if annotations is None:
        return None, metrics
    wanted = pd.Series(annotations[ID].unique()).astype(STRING)
    if votes is None:
        votes = ctx.map(count_votes, parts.names, source, scratch, wanted, label="label store")
    found = np.zeros(len(wanted), dtype=bool)
    for v in votes:
        found |= v.found
    present = annotations[ID].astype(STRING).isin(wanted[found]).to_numpy()
    consensus = human_consensus(annotations, present, metrics, task, config)
    return consensus, consensus.metrics


def store_ids(ctx: Context) -> pd.Series | None:
    """The distinct row ids the label store has annotations for (None for an empty store)."""
    from builder.labeling.human.merge import store_annotations

    config = ctx.recipe.labeling.human
    annotations, _ = store_annotations(config.store_dir(ctx.root, ctx.recipe.name),
                                       ctx.recipe.task)
    return None if annotations is None else pd.Series(annotations[ID].unique()).astype(STRING)
