"""`type: drop_missing`: drop rows with missing values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from builder.errors import require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import TransformConfig
from builder.transforms.base import Transform, data_columns


@dataclass(kw_only=True)
class DropMissingConfig(TransformConfig):
    """`columns` to look at (all data columns when omitted); `how: any` or `all` of them
    missing; `blank_is_missing` counts empty or whitespace-only strings as missing."""

    columns: list[str] | None = None
    how: Literal["any", "all"] = "any"
    blank_is_missing: bool = True


@TRANSFORMS.register("drop_missing")
class DropMissing(Transform):
    """Drops rows whose chosen columns are missing (any or all of them)."""

    Config = DropMissingConfig

    def apply(self, df):
        import pandas as pd

        columns = self.config.columns or data_columns(df)
        require_columns(df, columns, self.owner)
        missing = pd.DataFrame({c: self._missing(df[c]) for c in columns}, index=df.index)
        drop = missing.any(axis=1) if self.config.how == "any" else missing.all(axis=1)
        return df[~drop]

    def _missing(self, column):
        import pandas as pd

        missing = column.isna()
        if self.config.blank_is_missing and isinstance(column.dtype, pd.StringDtype):
            missing |= column.str.strip().fillna("").eq("")
        return missing
