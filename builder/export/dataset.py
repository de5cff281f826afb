"""Turn the final table into a typed Hugging Face `DatasetDict`, one contiguous table per split.

Rows are grouped by split in pandas first: a `Dataset` built from a contiguous table writes ~100x
faster than one carrying an index mapping (see FACTS.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from builder.labeling.merge import DETAIL_COLUMNS
from builder.recipe.schema import TaskConfig
from builder.split import SPLIT_COLUMN

if TYPE_CHECKING:
    import datasets

#: Bookkeeping columns kept in the published dataset so that every row can be traced.
PROVENANCE_COLUMNS = ("_source", "_origin", "label_source", "label_confidence")


def output_columns(df: pd.DataFrame, task: TaskConfig) -> list[str]:
    """Columns of the dataset: `_id`, text, features, label, then provenance."""
    provenance = [c for c in PROVENANCE_COLUMNS if c in df.columns]
    # The label stage's working columns (weak_label, model_label, ...) are not published.
    internal = {"_id", SPLIT_COLUMN, task.label, *provenance, *DETAIL_COLUMNS}
    if task.features is not None:
        data = list(task.features)
    else:
        data = [c for c in df.columns if c not in internal and not str(c).startswith("_")]
    if task.text and task.text in data:
        data.remove(task.text)
        data.insert(0, task.text)
    return ["_id", *data, task.label, *provenance]


def arrow_value_type(series: pd.Series) -> pa.DataType:
    """The Arrow type a column is published as (categories as strings, nullable ints as int64)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or isinstance(dtype, pd.StringDtype) or dtype == object:
        return pa.string()
    if isinstance(dtype, pd.BooleanDtype) or pd.api.types.is_bool_dtype(dtype):
        return pa.bool_()
    if pd.api.types.is_integer_dtype(dtype):
        return pa.int64()
    if pd.api.types.is_float_dtype(dtype):
        return pa.float64()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return pa.timestamp("ns")
    return pa.array(series.head(1), from_pandas=True).type


def to_arrow_table(df: pd.DataFrame, columns: list[str], task: TaskConfig) -> pa.Table:
    """The published columns as an Arrow table; the label as class indices (-1 = none)."""
    arrays, names = [], []
    for column in columns:
        series = df[column]
        if column == task.label:
            codes = pd.Categorical(series, categories=task.classes).codes.astype(np.int64)
            arrays.append(pa.array(codes, type=pa.int64()))
        else:
            kind = arrow_value_type(series)
            values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
            arrays.append(pa.array(values, type=kind, from_pandas=True))
        names.append(column)
    return pa.Table.from_arrays(arrays, names=names)


def features_for(table: pa.Table, task: TaskConfig) -> datasets.Features:
    """`datasets.Features`: `ClassLabel` for the label, `Value` from the Arrow type otherwise."""
    import datasets

    features = datasets.Features.from_arrow_schema(table.schema)
    features[task.label] = datasets.ClassLabel(names=list(task.classes))
    return features


def build_dataset_dict(df: pd.DataFrame, task: TaskConfig, splits: list[str]) -> datasets.DatasetDict:
    """One `Dataset` per split, each from a contiguous slice of a split-ordered table."""
    import datasets

    columns = output_columns(df, task)
    table = to_arrow_table(df, columns, task)
    features = features_for(table, task)
    table = table.cast(features.arrow_schema)
    split_codes = pd.Categorical(df[SPLIT_COLUMN], categories=splits).codes
    if np.any(np.diff(split_codes) < 0):
        raise ValueError("rows must be grouped by split before building datasets")
    bounds = np.searchsorted(split_codes, np.arange(len(splits) + 1), side="left")
    result = {}
    for i, name in enumerate(splits):
        part = table.slice(bounds[i], bounds[i + 1] - bounds[i])
        info = datasets.DatasetInfo(features=features)
        result[name] = datasets.Dataset(
            datasets.table.InMemoryTable(part), info=info, split=datasets.NamedSplit(name),
            fingerprint=_fingerprint(part))
    return datasets.DatasetDict(result)


def _fingerprint(table: pa.Table) -> str:
    """A content-derived fingerprint, so `state.json` is the same for the same rows."""
    import hashlib

    digest = hashlib.sha256()
    for batch in table.to_batches():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        digest.update(sink.getvalue())
    return digest.hexdigest()[:16]
