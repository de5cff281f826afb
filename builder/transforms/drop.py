"""`type: drop`: remove columns."""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import CheckContext, Problems, TransformConfig
from builder.transforms.base import INTERNAL_COLUMNS, Transform


@dataclass(kw_only=True)
class DropConfig(TransformConfig):
    """`columns: [a, b]`: the columns to remove."""

    columns: list[str]

    def check(self, ctx: CheckContext) -> Problems:
        for i, column in enumerate(self.columns):
            if column in INTERNAL_COLUMNS:
                yield f"columns[{i}]", f"found '{column}', a bookkeeping column every row keeps."


@TRANSFORMS.register("drop")
class Drop(Transform):
    """Removes the listed columns; a missing column is an error."""

    Config = DropConfig

    def columns_after(self, columns):
        return [c for c in columns if c not in self.config.columns]

    def apply(self, df):
        require_columns(df, self.config.columns, self.owner)
        return df.drop(columns=self.config.columns)
