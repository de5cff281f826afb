"""The train table as samplers and generators see it: feature columns, their kinds, new rows.

New rows (duplicates, SMOTE, synthetic) are built here so that they carry the same columns and
dtypes as the real rows, a unique `_id`, and an `_origin`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from builder.columns import STRING
from builder.recipe.schema import TaskConfig
from builder.split import SPLIT_COLUMN

ORIGIN_COLUMN = "_origin"
#: Origins in the order they are reported.
ORIGINS = ("real", "oversampled", "smote", "synthetic")
#: Per-row bookkeeping written by the label stage: never a feature, null on generated rows.
BOOKKEEPING_COLUMNS = ("label_source", "label_confidence", "weak_label", "weak_confidence",
                       "lf_conflict", "model_label", "model_confidence", "suspect_label")


def feature_columns(df: pd.DataFrame, task: TaskConfig) -> list[str]:
    """The columns models learn from: the task's features (and text), else every data column."""
    if task.features is not None:
        columns = list(task.features)
        if task.text and task.text not in columns:
            columns.insert(0, task.text)
        return columns
    internal = {task.label, SPLIT_COLUMN, *BOOKKEEPING_COLUMNS}
    return [c for c in df.columns if c not in internal and not str(c).startswith("_")]


def column_kind(series: pd.Series) -> str:
    """`numeric`, `datetime` or `categorical` (strings, categories and booleans)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "categorical"


def numeric_values(series: pd.Series) -> np.ndarray:
    """A numeric or datetime column as float64, NaN for missing (datetimes as nanoseconds since
    the epoch, in UTC); anything that is not a number is missing."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = series.to_numpy(dtype="datetime64[ns]").view("int64").astype(np.float64)
        return np.where(series.isna().to_numpy(), np.nan, stamps)
    return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()


def conform(new: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """`new`'s columns cast to the dtypes of the same columns in `like` (integers rounded)."""
    out = {}
    for column in new.columns:
        values = new[column]
        if column not in like.columns:
            out[column] = values
            continue
        dtype = like[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            # Values the real rows lack (SDV's fakes of a PII column) become new categories.
            plain = values.astype(object).where(values.notna(), None)
            extra = pd.Index(plain.dropna().unique()).difference(dtype.categories)
            out[column] = pd.Categorical(plain, categories=dtype.categories.append(extra))
        elif pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_integer_dtype(values):
            numbers = pd.to_numeric(values).round()
            out[column] = numbers.astype(dtype if not numbers.isna().any() else "Int64")
        elif pd.api.types.is_bool_dtype(dtype) and not pd.api.types.is_bool_dtype(values):
            out[column] = _to_bool(values, dtype)
        elif isinstance(dtype, pd.StringDtype):
            out[column] = values.astype(object).where(values.notna(), None).astype(dtype)
        else:
            out[column] = values.astype(dtype)
    return pd.DataFrame(out, index=new.index)


def _to_bool(values: pd.Series, dtype) -> pd.Series:
    text = values.astype("string").str.lower()
    flags = text.isin(["true", "1", "1.0", "yes"]).astype("boolean").mask(values.isna())
    return flags.astype("boolean" if flags.isna().any() else dtype)


def assemble(features: pd.DataFrame, like: pd.DataFrame, *, label: str, classes: Sequence[str],
             origin: str, ids: Sequence[str], source: str | pd.Series, split: str) -> pd.DataFrame:
    """Generated rows as rows of `like`: its columns and dtypes, bookkeeping columns null (flag
    columns false).

    `features` holds the generated feature values; `classes` each row's class.
    """
    n = len(features)
    index = pd.RangeIndex(n)
    frame = conform(features.reset_index(drop=True), like)
    frame[label] = pd.Series(list(classes), index=index, dtype=like[label].dtype)
    frame["_id"] = pd.Series(list(ids), index=index, dtype=STRING)
    if isinstance(source, pd.Series):
        frame["_source"] = source.reset_index(drop=True).astype(like["_source"].dtype)
    else:
        frame["_source"] = pd.Series(source, index=index, dtype=like["_source"].dtype)
    frame[SPLIT_COLUMN] = pd.Categorical([split] * n, categories=like[SPLIT_COLUMN].cat.categories)
    frame[ORIGIN_COLUMN] = pd.Series(origin, index=index, dtype=STRING)
    for column in like.columns:
        if column in frame.columns:
            continue
        if like[column].dtype == bool:  # flags such as lf_conflict: a made row raised none
            frame[column] = np.zeros(n, dtype=bool)
        else:
            empty = like[column].iloc[:0].astype(_nullable(like[column].dtype))
            frame[column] = empty.reset_index(drop=True).reindex(index)
    return frame[list(like.columns)]


def _nullable(dtype) -> object:
    """A dtype that can hold nulls and values of `dtype`."""
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.Int64Dtype):
        return "Int64"
    return dtype


def sequence_ids(prefix: str, count: int) -> list[str]:
    """`prefix/000001`, `prefix/000002`, ...: ids for generated rows, stable across builds."""
    numbers = pd.Series(np.arange(1, count + 1)).astype(str).str.zfill(6)
    return (prefix + "/" + numbers).tolist()


def concat_rows(frames: list[pd.DataFrame], like: pd.DataFrame) -> pd.DataFrame:
    """Concatenate frames of `like`'s shape without losing dtypes (categories are unioned)."""
    frames = [f for f in frames if len(f)] or [like.iloc[:0]]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    combined = pd.concat(frames, ignore_index=True)
    for column in like.columns:
        dtype = like[column].dtype
        if combined[column].dtype != dtype:
            if isinstance(dtype, pd.CategoricalDtype):
                categories = dtype.categories
                for frame in frames:
                    if isinstance(frame[column].dtype, pd.CategoricalDtype):
                        extra = frame[column].cat.categories.difference(categories)
                        categories = categories.append(extra)
                combined[column] = pd.Categorical(combined[column], categories=categories)
            elif all(f[column].dtype == dtype for f in frames):
                combined[column] = combined[column].astype(dtype)
    return combined
