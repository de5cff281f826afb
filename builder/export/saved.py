"""The `save_to_disk` folder's own files: the Arrow files' schema (`saved_schema`), each split's
`state.json` and `dataset_info.json`, `dataset_dict.json`, and the `DatasetDict` memory-mapped
from what was written (`load_dataset_dict`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datasets
    import pyarrow as pa


def saved_schema(features: datasets.Features) -> pa.Schema:
    """The schema of a `save_to_disk` Arrow file: the features' Arrow schema with the features in
    its `huggingface` metadata, as `datasets.arrow_writer.ArrowWriter` writes it. The files are
    written with pyarrow's stream writer directly: `ArrowWriter` converts the features to and
    from dicts for every batch (1.4 s of 2.8 s for a 1,000,000-row export), and published
    features (`Value`, `ClassLabel`) need none of its casts or embedded files."""
    from datasets import DatasetInfo
    from datasets.arrow_writer import ArrowWriter

    return features.arrow_schema.with_metadata(
        ArrowWriter._build_metadata(DatasetInfo(features=features)))


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


def load_dataset_dict(features: datasets.Features, saved: Path, results: dict[str, dict],
                      fingerprints: dict[str, str]) -> datasets.DatasetDict:
    """The `DatasetDict` memory-mapped from the written `save_to_disk` files."""
    import datasets
    from datasets.table import MemoryMappedTable, concat_tables

    splits = {}
    for split, result in results.items():
        tables = [MemoryMappedTable.from_file(str(saved / split / name))
                  for name in result["arrow_files"]]
        table = tables[0] if len(tables) == 1 else concat_tables(tables)
        splits[split] = datasets.Dataset(table, info=datasets.DatasetInfo(features=features),
                                         split=datasets.NamedSplit(split),
                                         fingerprint=fingerprints[split])
    return datasets.DatasetDict(splits)
