"""The Hub repository layout: `data/<split>-NNNNN-of-NNNNN.parquet` shards plus `README.md`.

It is what `push_to_hub` writes, so `datasets.load_dataset(folder)` reads it offline with the
same features and split names, and publishing is an upload of the folder as it is.
"""

from __future__ import annotations

MAX_SHARD_BYTES = 500 * 1024 * 1024


def shard_name(split: str, index: int, count: int) -> str:
    return f"data/{split}-{index:05d}-of-{count:05d}.parquet"
