"""The transform step: a row-wise function from a pandas batch to a pandas batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from builder.recipe.schema import TransformConfig

if TYPE_CHECKING:
    import pandas as pd

#: Columns every row carries; `select` keeps them and `drop` refuses them.
INTERNAL_COLUMNS = ("_id", "_source")


class Transform:
    """Subclasses set `Config` and implement `apply`, a function of one partition (row-wise);
    a transform that needs the whole table sets `rowwise = False` and says how it reduces it
    (`dedup`: keys per row, then a keep mask)."""

    Config: ClassVar[type[TransformConfig]] = TransformConfig
    type_name: ClassVar[str]
    rowwise: ClassVar[bool] = True

    def __init__(self, name: str, config: TransformConfig):
        self.name = name
        self.config = config

    @property
    def owner(self) -> str:
        """How messages name this step."""
        return f"transform '{self.name}' ({self.type_name})"

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError

    def column_refs(self) -> list[tuple[str, str]]:
        """(key under the transform, column) for each column the config names, checked
        against the data's columns before any row is read."""
        columns = getattr(self.config, "columns", None)
        if isinstance(columns, dict):
            return [(f"columns.{c}", c) for c in columns]
        return [(f"columns[{i}]", c) for i, c in enumerate(columns or [])]

    def columns_after(self, columns: list[str]) -> list[str]:
        """The column names after this step, given those before it."""
        return columns


def data_columns(df: pd.DataFrame) -> list[str]:
    """The columns that hold data, not bookkeeping."""
    return [c for c in df.columns if c not in INTERNAL_COLUMNS]
