"""What the published `DatasetDict` holds: its columns, their Arrow types and `datasets`
features, and the JSON files of a `save_to_disk` folder (the export stage writes the Arrow files
itself, `builder.export.stage.SplitWriter`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

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
            arrays.append(class_codes(series, task.classes))
        elif isinstance(series.dtype, pd.CategoricalDtype):
            arrays.append(pa.array(series, from_pandas=True).cast(arrow_value_type(series)))
        else:
            arrays.append(pa.array(series, type=arrow_value_type(series), from_pandas=True))
        names.append(column)
    return pa.Table.from_arrays(arrays, names=names)


def class_codes(labels: pd.Series, classes: list[str]) -> pa.Array:
    """Each label's index in `classes`, -1 where it is missing or not a class (int64)."""
    import pyarrow.compute as pc

    from builder.columns import STRING, to_arrow

    text = to_arrow(labels if isinstance(labels.dtype, pd.StringDtype) else labels.astype(STRING))
    codes = pc.index_in(text, value_set=pa.array(classes, text.type))
    return pc.fill_null(codes, -1).cast(pa.int64()).combine_chunks()


def features_for(table: pa.Table, task: TaskConfig) -> datasets.Features:
    """`datasets.Features`: `ClassLabel` for the label, `Value` from the Arrow type otherwise."""
    import datasets

    features = datasets.Features.from_arrow_schema(table.schema)
    features[task.label] = datasets.ClassLabel(names=list(task.classes))
    return features


def write_split_state(dataset: datasets.Dataset, folder: Path, files: list[str]) -> None:
    """`state.json` and `dataset_info.json` of a split folder, as `Dataset.save_to_disk` writes."""
    from datasets import config
    from datasets.utils.py_utils import asdict

    state = {
        "_data_files": [{"filename": name} for name in files],
        "_fingerprint": dataset._fingerprint,
        "_format_columns": dataset._format_columns,
        "_format_kwargs": dataset._format_kwargs,
        "_format_type": dataset._format_type,
        "_output_all_columns": dataset._output_all_columns,
        "_split": str(dataset.split) if dataset.split is not None else None,
    }
    with open(folder / config.DATASET_STATE_JSON_FILENAME, "w", encoding="utf-8") as fh:
        json.dump(state, fh, indent=2, sort_keys=True)
    info = asdict(dataset.info)
    with open(folder / config.DATASET_INFO_FILENAME, "w", encoding="utf-8") as fh:
        json.dump({key: info[key] for key in sorted(info)}, fh, indent=2)


def write_dataset_dict_json(splits: list[str], folder: Path) -> None:
    """`dataset_dict.json`, as `DatasetDict.save_to_disk` writes it."""
    from datasets import config

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / config.DATASETDICT_JSON_FILENAME, "w", encoding="utf-8") as fh:
        json.dump({"splits": splits}, fh)
