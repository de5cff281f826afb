"""`--strategy audit`: every row without a human label, gold included, as a stratified random
sample over (label source, class), in proportion to their sizes and at least one per stratum
while the budget allows. No pre-annotation: auditors should not be anchored on our guess."""

from __future__ import annotations

from typing import TYPE_CHECKING

from builder.labeling.human.config import QUEUE_STRATEGIES
from builder.labeling.human.strategies.base import Strategy, tie_order

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from builder.recipe.schema import TaskConfig


@QUEUE_STRATEGIES.register("audit")
class Audit(Strategy):
    """A stratified random sample of the labels the machine and the sources gave."""

    pre_annotate = False

    def candidates(self, df: pd.DataFrame, open_rows: pd.Series) -> pd.Series:
        return open_rows

    def pick(self, df: pd.DataFrame, positions: np.ndarray, task: TaskConfig, budget: int,
             seed: int) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        columns = [c for c in ("_id", "label_source", task.label) if c in df.columns]
        pool = df[columns].iloc[positions]
        chosen = stratified_positions(strata_codes(pool, task), tie_order(pool["_id"], seed),
                                      budget)
        return chosen, np.zeros(len(chosen))


def strata_codes(df: pd.DataFrame, task: TaskConfig) -> np.ndarray:
    """An integer per row for its (label source, class) stratum, numbered in sorted order."""
    import numpy as np
    import pandas as pd

    sources = pd.factorize(df["label_source"].astype("string").fillna("unlabeled"), sort=True)[0]
    labels = (pd.factorize(df[task.label].astype("string").fillna("(none)"), sort=True)[0]
              if task.label in df.columns else np.zeros(len(df), dtype=np.int64))
    return pd.factorize(sources * (labels.max(initial=0) + 1) + labels, sort=True)[0]


def stratified_positions(codes: np.ndarray, ties: np.ndarray, budget: int) -> np.ndarray:
    """`budget` row positions spread over strata in proportion to their sizes (largest
    remainders), at least one per stratum while the budget allows; random within a stratum by
    `ties`, and returned in `ties` order."""
    import numpy as np

    sizes = np.bincount(codes)
    budget = min(budget, int(sizes.sum()))
    if budget == 0:
        return np.array([], dtype=np.int64)
    quota = sizes / sizes.sum() * budget
    share = np.floor(quota).astype(np.int64)
    if budget >= len(sizes):
        share = np.maximum(share, 1)
    share = np.minimum(share, sizes)
    while share.sum() > budget:  # the minimum of one per stratum overshot: trim the largest
        share[share.argmax()] -= 1
    for stratum in np.argsort(-(quota - np.floor(quota)), kind="stable").tolist() * 2:
        if share.sum() >= budget:
            break
        if share[stratum] < sizes[stratum]:
            share[stratum] += 1
    order = np.lexsort((ties, codes))
    starts = np.cumsum(sizes) - sizes
    rank = np.arange(len(order)) - starts[codes[order]]
    chosen = order[rank < share[codes[order]]]
    return chosen[np.argsort(ties[chosen], kind="stable")]
