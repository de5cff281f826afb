"""`type: dedup`: drop rows that repeat the values of given columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from builder.errors import require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import TransformConfig
from builder.transforms.base import Transform, data_columns

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(kw_only=True)
class DedupConfig(TransformConfig):
    """`columns: [text]` (all data columns when omitted); `keep: first` or `last`.

    Not `on:`, which YAML 1.1 reads as the boolean true."""

    columns: list[str] | None = None
    keep: Literal["first", "last"] = "first"


@TRANSFORMS.register("dedup")
class Dedup(Transform):
    """Keeps one row per distinct value of the chosen columns, in the table's order.

    Not row-wise: across partitions, rows are compared by a 64-bit key of their values
    (`columns.row_keys`, equal for equal values whatever their dtype; a missing column counts
    as missing values). The ingest stage gathers the keys of every partition (`keys`), keeps
    the first (or last) position of each (`keep_mask`) and filters each partition."""

    Config = DedupConfig
    rowwise = False

    def columns(self, df: pd.DataFrame) -> list[str]:
        on = self.config.columns or data_columns(df)
        require_columns(df, on, self.owner)
        return on

    def keys(self, df: pd.DataFrame) -> np.ndarray:
        """Each row's key over the compared columns."""
        from builder.columns import row_keys

        return row_keys(df, self.columns(df))

    def keep_mask(self, keys: np.ndarray) -> np.ndarray:
        """Which rows of the whole table (its keys in table order) are kept."""
        import pandas as pd

        return ~pd.Series(keys).duplicated(keep=self.config.keep).to_numpy()

    def apply(self, df):
        return df[self.keep_mask(self.keys(df))]
