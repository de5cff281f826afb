"""`type: select`: keep only the named columns (and the bookkeeping ones)."""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import TransformConfig
from builder.transforms.base import INTERNAL_COLUMNS, Transform


@dataclass(kw_only=True)
class SelectConfig(TransformConfig):
    """`columns: [a, b]`: the data columns to keep, in this order."""

    columns: list[str]


@TRANSFORMS.register("select")
class Select(Transform):
    """Keeps `_id`, `_source` and the listed columns."""

    Config = SelectConfig

    def columns_after(self, columns):
        keep = [c for c in INTERNAL_COLUMNS if c in columns]
        return keep + [c for c in self.config.columns if c not in keep]

    def apply(self, df):
        require_columns(df, self.config.columns, self.owner)
        keep = [c for c in INTERNAL_COLUMNS if c in df.columns]
        return df[keep + [c for c in self.config.columns if c not in keep]]
