"""`type: rename`: rename columns."""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import DataError, require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import CheckContext, Problems, TransformConfig, check_rename
from builder.transforms.base import INTERNAL_COLUMNS, Transform


@dataclass(kw_only=True)
class RenameConfig(TransformConfig):
    """`columns: {old: new}`."""

    columns: dict[str, str]

    def check(self, ctx: CheckContext) -> Problems:
        for old, new in self.columns.items():
            if old in INTERNAL_COLUMNS or new in INTERNAL_COLUMNS:
                yield f"columns.{old}", f"renames a bookkeeping column; {INTERNAL_COLUMNS} stay."
        yield from check_rename(self.columns, "columns")


@TRANSFORMS.register("rename")
class Rename(Transform):
    """Renames columns; a missing column is an error."""

    Config = RenameConfig

    def columns_after(self, columns):
        return [self.config.columns.get(c, c) for c in columns]

    def apply(self, df):
        require_columns(df, list(self.config.columns), self.owner)
        kept = [c for c in df.columns if c not in self.config.columns]
        for old, new in self.config.columns.items():
            if new in kept:
                raise DataError(
                    f"{self.owner}: renaming '{old}' to '{new}' gives two columns named "
                    f"'{new}'; expected a new name, or drop the existing '{new}' first.")
        return df.rename(columns=self.config.columns)
