"""`type: dedup`: drop rows that repeat the values of given columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from builder.errors import require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import TransformConfig
from builder.transforms.base import Transform, data_columns


@dataclass(kw_only=True)
class DedupConfig(TransformConfig):
    """`columns: [text]` (all data columns when omitted); `keep: first` or `last`.

    Not `on:`, which YAML 1.1 reads as the boolean true."""

    columns: list[str] | None = None
    keep: Literal["first", "last"] = "first"


@TRANSFORMS.register("dedup")
class Dedup(Transform):
    """Keeps one row per distinct value of the chosen columns, in the table's order."""

    Config = DedupConfig

    def apply(self, df):
        on = self.config.columns or data_columns(df)
        require_columns(df, on, self.owner)
        return df[~df.duplicated(subset=on, keep=self.config.keep)]
