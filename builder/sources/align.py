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


def dtype_summary(frame: pd.DataFrame) -> list[tuple[str, object, bool]]:
    """(column, dtype, typed) of a partition: `typed` is false for an object column with no
    value (a column a source leaves empty, Arrow's null type)."""
    return [(column, frame[column].dtype,
             frame[column].dtype != object or bool(frame[column].notna().any()))
            for column in frame.columns]


def unify(summaries: list[list[tuple[str, object, bool]]], owner: str = "sources") -> dict:
    """One dtype per column for partitions with these `dtype_summary`s, in the order columns
    first appear: what `align_frames` and `pd.concat` would give the partitions together (a
    column some partitions lack becomes nullable, empty ones take the others' type, categories
    are united). Types that do not combine are a `DataError` asking for a cast."""
    from builder.errors import DataError

    columns: dict[str, list[tuple[object, bool]]] = {}
    for summary in summaries:
        for column, dtype, typed in summary:
            columns.setdefault(column, []).append((dtype, typed))
    target = {}
    for column, seen in columns.items():
        typed = [dtype for dtype, is_typed in seen if is_typed]
        if not typed:
            target[column] = seen[0][0]
            continue
        partial = len(typed) < len(summaries)
        if all(isinstance(d, pd.CategoricalDtype) for d in typed):
            target[column] = pd.CategoricalDtype(_united_categories(typed))
            continue
        kinds = {str(nullable(d) if partial else d) for d in typed}
        empties = [pd.Series([], dtype=nullable(d) if partial else d) for d in typed]
        common = pd.concat(empties, ignore_index=True).dtype if len(kinds) > 1 else \
            (nullable(typed[0]) if partial else typed[0])
        # Booleans with missing values arrive as objects (Arrow to pandas): those combine.
        if common == object and len(kinds) > 1 and not kinds <= {"bool", "boolean", "object"}:
            found = sorted({str(d) for d in typed})
            raise DataError(
                f"{owner}: column '{column}' has different types across sources ({found}); "
                "expected one type: add a `cast:` to the sources that differ.")
        target[column] = common
    return target


def conform_frame(frame: pd.DataFrame, target: dict) -> pd.DataFrame:
    """A partition with `target`'s columns (missing ones null) in its order and dtypes."""
    changes = {c: t for c, t in target.items() if c in frame.columns and frame[c].dtype != t}
    if changes:
        frame = frame.astype(changes)
    missing = [c for c in target if c not in frame.columns]
    if missing:
        frame = frame.copy()
        for column in missing:
            frame[column] = pd.Series(index=frame.index, dtype=target[column])
    return frame[list(target)] if list(frame.columns) != list(target) else frame
