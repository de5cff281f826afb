"""The Hub repository layout: `data/<split>-NNNNN-of-NNNNN.parquet` shards plus `README.md`.

It is what `push_to_hub` writes, so `datasets.load_dataset(folder)` reads it offline with the
same features and split names, and publishing is an upload of the folder as it is.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from builder.artifacts import sha256_file

if TYPE_CHECKING:
    import datasets

MAX_SHARD_BYTES = 500 * 1024 * 1024


def shard_count(dataset: datasets.Dataset, max_bytes: int = MAX_SHARD_BYTES) -> int:
    """How many parquet shards a split is written as (at least one, even when empty)."""
    return max(1, math.ceil(dataset.data.nbytes / max_bytes))


def shard_name(split: str, index: int, count: int) -> str:
    return f"data/{split}-{index:05d}-of-{count:05d}.parquet"


def write_shards(dataset_dict: datasets.DatasetDict, folder: Path) -> dict[str, str]:
    """Write every split's parquet shards under `folder/data`; return {relative path: sha256}."""
    checksums = {}
    for split, dataset in dataset_dict.items():
        checksums.update(write_split_shards(split, dataset, folder))
    return checksums


def write_split_shards(split: str, dataset: datasets.Dataset, folder: Path) -> dict[str, str]:
    """Write one split's parquet shards under `folder/data`; return {relative path: sha256}."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    checksums = {}
    count = shard_count(dataset)
    for index in range(count):
        shard = dataset.shard(num_shards=count, index=index, contiguous=True) if count > 1 \
            else dataset
        relative = shard_name(split, index, count)
        shard.to_parquet(str(folder / relative))
        checksums[relative] = sha256_file(folder / relative)
    return checksums
