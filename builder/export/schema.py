"""What the published `DatasetDict` holds: its columns (`output_columns`), their Arrow types and
`datasets` features (`published_schema`), and each part's rows as published (`published`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from builder.partitions import part_dtypes, read_head
from builder.recipe.schema import TaskConfig
from builder.rows import ABSTAIN, ID, PROVENANCE_COLUMNS, class_codes, data_columns

if TYPE_CHECKING:
    import datasets

    from builder.partitions import Partitions


def output_columns(df: pd.DataFrame, task: TaskConfig) -> list[str]:
    """Columns of the dataset: `_id`, text, features, label, then provenance."""
    provenance = [c for c in PROVENANCE_COLUMNS if c in df.columns]
    # The label stage's working columns (weak_label, model_label, ...) are not published.
    data = list(task.features) if task.features is not None else data_columns(df.columns,
                                                                               task.label)
    for first in (task.text, task.image):
        if first and first in data:
            data.remove(first)
            data.insert(0, first)
    return [ID, *data, task.label, *provenance]


def arrow_value_type(series: pd.Series) -> pa.DataType:
    """The Arrow type a column is published as (categories as strings, nullable ints as int64)."""
    dtype = series.dtype
    if dtype == object and _holds_bytes(series):
        return pa.binary()  # encoded images
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


def _holds_bytes(series: pd.Series) -> bool:
    present = series.dropna()
    return bool(len(present)) and isinstance(present.iloc[0], bytes)


def to_arrow_table(df: pd.DataFrame, columns: list[str], task: TaskConfig) -> pa.Table:
    """The published columns as an Arrow table; the label as class indices (-1 = none)."""
    arrays, names = [], []
    for column in columns:
        series = df[column]
        if column == task.label:
            arrays.append(pa.array(class_codes(series, task.classes)))
        elif column == task.image:
            arrays.append(image_struct(pa.array(series, type=pa.binary(), from_pandas=True)))
        elif isinstance(series.dtype, pd.CategoricalDtype):
            arrays.append(pa.array(series, from_pandas=True).cast(arrow_value_type(series)))
        else:
            arrays.append(pa.array(series, type=arrow_value_type(series), from_pandas=True))
        names.append(column)
    return pa.Table.from_arrays(arrays, names=names)


def features_for(table: pa.Table, task: TaskConfig) -> datasets.Features:
    """`datasets.Features`: `ClassLabel` for the label, `Value` from the Arrow type otherwise."""
    import datasets

    features = datasets.Features.from_arrow_schema(table.schema)
    features[task.label] = datasets.ClassLabel(names=list(task.classes))
    if task.image and task.image in features:
        features[task.image] = datasets.Image()
    return features


def image_struct(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Encoded images (binary) as `datasets.Image`'s Arrow storage: `{bytes, path}`, the bytes
    embedded and no path (the image lives in the shard, not beside it)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.binary())
    values = values.cast(pa.binary())
    paths = pa.nulls(len(values), pa.string())
    return pa.StructArray.from_arrays([values, paths], names=["bytes", "path"],
                                      mask=values.is_null())


def published_schema(ctx: Context, parts: Partitions) -> tuple[list[str], datasets.Features]:
    """The published columns and their features, from the parts' dtypes (and a few rows of the
    first part that has any, for columns whose dtype says little)."""
    task = ctx.recipe.task
    dtypes = [part_dtypes(parts.folder / name) for name in parts.names]
    first = next((i for i, name in enumerate(parts.names) if parts.rows(i)), 0)
    sample = read_head(parts.folder / parts.names[first], 100) if parts.count else None
    columns = output_columns(sample, task)
    features = features_for(to_arrow_table(sample, columns, task), task)
    schema = features.arrow_schema
    for kinds in dtypes:  # a column that is int in one part and float in another: float
        for column in columns:
            if column in kinds and column != task.label and \
                    pa.types.is_floating(_arrow_type(kinds[column])) and \
                    pa.types.is_integer(schema.field(column).type):
                schema = schema.set(schema.get_field_index(column), pa.field(column, pa.float64()))
    return columns, features_for(schema.empty_table(), task)


def _arrow_type(dtype) -> pa.DataType:
    return arrow_value_type(pd.Series([], dtype=dtype))


def published(table: pa.Table, columns: list[str], task, features: datasets.Features) -> pa.Table:
    """A part's rows as published: the output columns, the label as class indices, each column
    cast to its feature type."""
    arrays = []
    schema = features.arrow_schema
    for column in columns:
        if column not in table.column_names:
            arrays.append(pa.nulls(table.num_rows, schema.field(column).type))
            continue
        values = table.column(column)
        if column == task.label:
            text = pc.cast(values, pa.string()) if not pa.types.is_string(values.type) else values
            codes = pc.index_in(text, value_set=pa.array(task.classes, pa.string()))
            arrays.append(pc.fill_null(codes, ABSTAIN).cast(pa.int64()))
            continue
        if column == task.image and not pa.types.is_struct(values.type):
            arrays.append(image_struct(values))
            continue
        if pa.types.is_dictionary(values.type):
            values = values.cast(values.type.value_type)
        arrays.append(values.cast(schema.field(column).type))
    return pa.Table.from_arrays(arrays, schema=schema)
