"""What every review-queue strategy shares: the `Strategy` base class (which rows may go to
humans, in what order) and the seeded tie-break.

A strategy is one module of `builder.labeling.human.strategies` whose class is registered in
`QUEUE_STRATEGIES` under its `--strategy` name. Strategy modules import numpy and pandas inside
their methods: the registry is read when the command line is built (`--strategy` choices).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from builder.recipe.schema import TaskConfig

#: Label sources whose rows are not sent for labeling by the uncertainty strategies.
SETTLED = ("gold", "human")


class Strategy:
    """A way to pick rows of `labeled/` for human review."""

    #: The strategy's `--strategy` name (set by `QUEUE_STRATEGIES.register`).
    type_name: ClassVar[str]
    #: Columns of `labeled/` the strategy reads besides `_id`.
    columns: ClassVar[tuple[str, ...]] = ("label_source",)
    #: Whether exported rows carry the machine's guess as a pre-annotation.
    pre_annotate: ClassVar[bool] = True

    @property
    def name(self) -> str:
        return self.type_name

    def undeclared(self, labeling: Any) -> list[str]:
        """What the recipe's `labeling` section must declare for the strategy's columns to hold
        anything (the label stage always writes them, empty when nothing feeds them)."""
        return []

    def candidates(self, df: pd.DataFrame, open_rows: pd.Series) -> pd.Series:
        """Which rows the strategy may pick, among `open_rows` (not excluded, no human label):
        by default those without a settled (gold or human) label."""
        return open_rows & ~df["label_source"].astype("string").isin(SETTLED).fillna(False)

    def priority(self, df: pd.DataFrame) -> pd.Series:
        """Each row's priority: lower goes first."""
        raise NotImplementedError

    def pick(self, df: pd.DataFrame, positions: np.ndarray, task: TaskConfig, budget: int,
             seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `budget` of the candidate rows (`positions` in `df`), in the order humans
        should label them: indices into `positions` and each one's priority. By default the
        lowest priorities first, ties in `tie_order`."""
        import numpy as np

        scores = self.priority(df).to_numpy(dtype="float64")[positions]
        near = lowest(scores, budget)  # sort only the rows that can make the cut
        ties = tie_order(df["_id"].iloc[positions[near]], seed)
        order = near[np.lexsort((ties, scores[near]))][:budget]
        return order, scores[order]


def tie_order(ids: pd.Series, seed: int) -> np.ndarray:
    """A number in [0, 1) per row from a keyed hash of its id: a stable, seeded tie-break."""
    from builder.columns import unit_hashes

    return unit_hashes(ids, seed, "split")


def lowest(priorities: np.ndarray, count: int) -> np.ndarray:
    """Positions of every value at or under the `count`-th smallest (ties at the edge kept)."""
    import numpy as np

    if count >= len(priorities):
        return np.arange(len(priorities))
    kth = np.partition(priorities, count - 1)[count - 1]
    return np.flatnonzero(priorities <= kth)


def numeric(df: pd.DataFrame, column: str) -> pd.Series:
    """A column as numbers (NaN where missing or not a number)."""
    import pandas as pd

    return pd.to_numeric(df[column], errors="coerce")


def zeros(df: pd.DataFrame) -> pd.Series:
    """A priority of 0 for every row."""
    import pandas as pd

    return pd.Series(0.0, index=df.index)
