"""Helpers for transform tests: build a transform from its options and apply it to a frame."""

from __future__ import annotations

import pandas as pd
import pytest

from builder.columns import STRING
from builder.recipe.registry import TRANSFORMS


def apply(type_name: str, df: pd.DataFrame, name: str = "t", **options) -> pd.DataFrame:
    """Run transform `type_name` named `name` with `options` over `df`."""
    cls = TRANSFORMS.get(type_name)
    return cls(name, cls.Config(type=type_name, **options)).apply(df)


def rows(df: pd.DataFrame) -> dict[str, list]:
    """Columns as lists, missing values as None whatever the dtype."""
    return df.astype(object).where(df.notna(), None).to_dict("list")


@pytest.fixture
def reviews() -> pd.DataFrame:
    """Four reviews as the ingest stage produces them (Arrow strings, `_id`, `_source`)."""
    return pd.DataFrame({
        "_id": pd.Series(["s/1", "s/2", "s/3", "s/4"], dtype=STRING),
        "_source": pd.Series(["s"] * 4, dtype=STRING),
        "text": pd.Series(["Great  film", "great film", None, "  "], dtype=STRING),
        "stars": [5, 5, 1, 3],
        "label": pd.Series(["pos", "pos", "neg", None], dtype=STRING),
    })
