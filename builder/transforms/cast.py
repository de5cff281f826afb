"""`type: cast`: change column types."""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import CheckContext, Problems, TransformConfig, check_cast
from builder.transforms.base import Transform


@dataclass(kw_only=True)
class CastConfig(TransformConfig):
    """`columns: {column: type}` with types string, int, float, bool, category, datetime."""

    columns: dict[str, str]

    def check(self, ctx: CheckContext) -> Problems:
        yield from check_cast(self.columns, "columns")


@TRANSFORMS.register("cast")
class Cast(Transform):
    """Casts each listed column; a value that does not convert is an error naming it."""

    Config = CastConfig

    def apply(self, df):
        from builder.columns import cast_series

        require_columns(df, list(self.config.columns), self.owner)
        df = df.copy()
        for column, type_name in self.config.columns.items():
            df[column] = cast_series(df[column], type_name, self.owner)
        return df
