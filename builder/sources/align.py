"""Schema alignment of source frames before they are concatenated.

`pd.concat` fills a column that one source lacks with NaN, which silently turns integers into
floats (1 -> 1.0) and booleans into objects, and it types a column that one source leaves empty
(Arrow's null type, object in pandas) as object. These helpers give each column one type first.
"""

from __future__ import annotations

import pandas as pd
from pandas.api.types import is_bool_dtype, is_integer_dtype


def nullable(dtype):
    """The pandas dtype that holds `dtype`'s values and missing ones (int64 -> Int64)."""
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return dtype
    if is_bool_dtype(dtype):
        return pd.BooleanDtype()
    if is_integer_dtype(dtype):
        return pd.Int64Dtype()
    return dtype


def align_frames(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Frames ready for `pd.concat`: a column some sources lack becomes nullable, a column a
    source leaves empty takes the type the other sources give it, categories are united."""
    if len(frames) < 2:
        return frames
    typed: dict[str, list] = {}
    for frame in frames:
        for column in frame.columns:
            if frame[column].dtype != object or frame[column].notna().any():
                typed.setdefault(column, []).append(frame[column].dtype)
    aligned = []
    for frame in frames:
        changes = {}
        for column in frame.columns:
            dtypes = typed.get(column, [])
            target = frame[column].dtype
            if target == object and dtypes and frame[column].isna().all():
                target = nullable(dtypes[0])
            elif len(dtypes) < len(frames):  # other sources lack it or leave it empty
                target = nullable(target)
            if dtypes and all(isinstance(d, pd.CategoricalDtype) for d in dtypes):
                target = pd.CategoricalDtype(_united_categories(dtypes))
            if target != frame[column].dtype:
                changes[column] = target
        aligned.append(frame.astype(changes) if changes else frame)
    return aligned


def _united_categories(dtypes: list[pd.CategoricalDtype]) -> list:
    seen: dict = {}
    for dtype in dtypes:
        seen.update(dict.fromkeys(dtype.categories))
    return sorted(seen, key=str)
