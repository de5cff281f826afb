"""Turn the final table into a typed Hugging Face `DatasetDict`, one contiguous table per split.

Rows are grouped by split in pandas first: a `Dataset` built from a contiguous table writes ~100x
faster than one carrying an index mapping (see FACTS.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from builder.recipe.schema import TaskConfig
from builder.split import SPLIT_COLUMN

if TYPE_CHECKING:
    import datasets

#: Bookkeeping columns kept in the published dataset so that every row can be traced.
PROVENANCE_COLUMNS = ("_source", "_origin", "label_source", "label_confidence")


def output_columns(df: pd.DataFrame, task: TaskConfig) -> list[str]:
    """Columns of the dataset: `_id`, text, features, label, then provenance."""
    provenance = [c for c in PROVENANCE_COLUMNS if c in df.columns]
    internal = {"_id", SPLIT_COLUMN, task.label, *provenance}
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


def split_tables(df: pd.DataFrame, task: TaskConfig,
                 splits: list[str]) -> tuple[datasets.Features, dict[str, pa.Table]]:
    """The features and one contiguous Arrow table per split, from a split-ordered frame."""
    columns = output_columns(df, task)
    table = to_arrow_table(df, columns, task)
    features = features_for(table, task)
    table = table.cast(features.arrow_schema)
    split_codes = pd.Categorical(df[SPLIT_COLUMN], categories=splits).codes
    if np.any(np.diff(split_codes) < 0):
        raise ValueError("rows must be grouped by split before building datasets")
    bounds = np.searchsorted(split_codes, np.arange(len(splits) + 1), side="left")
    return features, {name: table.slice(bounds[i], bounds[i + 1] - bounds[i])
                      for i, name in enumerate(splits)}


def as_dataset_dict(features: datasets.Features, tables: dict[str, pa.Table],
                    fingerprints: dict[str, str]) -> datasets.DatasetDict:
    """In-memory `Dataset`s over the split tables (no copy), with the given fingerprints."""
    import datasets

    return datasets.DatasetDict({
        name: datasets.Dataset(datasets.table.InMemoryTable(table),
                               info=datasets.DatasetInfo(features=features),
                               split=datasets.NamedSplit(name), fingerprint=fingerprints[name])
        for name, table in tables.items()})


def build_dataset_dict(df: pd.DataFrame, task: TaskConfig, splits: list[str]) -> datasets.DatasetDict:
    """One `Dataset` per split, each from a contiguous slice of a split-ordered table."""
    features, tables = split_tables(df, task, splits)
    return as_dataset_dict(features, tables, {n: _fingerprint(t) for n, t in tables.items()})


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


# `DatasetDict.save_to_disk` writes 1,000-row batches through per-batch Python code (2 s for a
# million rows); the functions below write the same files, byte for byte, in one call per shard
# (tests/export/test_save_to_disk.py compares them with `save_to_disk`).

def write_arrow_shards(table: pa.Table, features: datasets.Features, folder: Path) -> list[str]:
    """The `data-NNNNN-of-NNNNN.arrow` files of one split, as `Dataset.save_to_disk` cuts them
    (one empty file for an empty split)."""
    from datasets import config
    from datasets.arrow_writer import ArrowWriter, get_writer_batch_size_from_data_size
    from datasets.utils.py_utils import convert_file_size_to_int

    folder.mkdir(parents=True, exist_ok=True)
    rows, nbytes = table.num_rows, table.nbytes
    # At least one file: `save_to_disk` writes none for an empty split, which
    # `load_from_disk` then cannot read.
    count = max(1, min(rows, int(nbytes / convert_file_size_to_int(config.MAX_SHARD_SIZE)) + 1))
    batch_size = config.DEFAULT_MAX_BATCH_SIZE
    if nbytes > 0:
        batch_size = min(batch_size, get_writer_batch_size_from_data_size(rows, nbytes))
    names = []
    for index in range(count):  # contiguous shards, as `Dataset.shard(contiguous=True)`
        div, mod = divmod(rows, count)
        start = div * index + min(index, mod)
        length = div + (1 if index < mod else 0)
        name = f"data-{index:05d}-of-{count:05d}.arrow"
        writer = ArrowWriter(features=features, path=str(folder / name), embed_local_files=True)
        try:
            writer.write_table(table.slice(start, length), batch_size)
            writer.finalize()
        finally:
            writer.close()
        names.append(name)
    return names


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
