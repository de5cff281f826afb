"""Hub shards through the partition cache (`builder.cache`, issue 19): a shard whose rows a
build before wrote is restored, not encoded again.

A shard's Parquet bytes are determined by its rows, the features and the export code, not by
where it sits in its split (its index and count are in its name only). Its rows are known only
at its end, and the writer does not hold a shard in memory, so it works row group by row group:
each row group's *digest* is an xxh3-128 over the Arrow buffers of its batches (each batch
copied into buffers of its own by the writer, so the digest does not depend on how the rows
were chunked or where they were), and a shard's key is (the export stage's scope, the
features, the digests of its row groups).

When a shard starts, its first row group tells whether holding off its encoding is worth it:
a *start* entry (key: scope, features, the first row group's digest) says a cached shard began
with the same rows. If there is none (a first build, new rows), the shard is encoded as its
rows stream in and stored at its end (the file, linked into the cache, and its start entry).
If there is one, the rows are only hashed; at the shard's end its entry is restored (a hard
link, checksum checked), or, when the shard changed after all (rows appended to the last
shard), its rows are read again from the memory-mapped parts and encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from pathlib import Path

    import datasets

    from builder.cache import PartitionCache

#: Reads a split's rows [start, stop) again, as published tables in order.
Reread = Callable[[int, int], Iterable[pa.Table]]


def group_digest(batches: list[pa.Table]) -> str:
    """The digest of a row group: its batches' row counts and every buffer (validity, offsets,
    data, children's) of every column, with its size. Batches must be in buffers of their own
    (`writer.SplitWriter.write` copies them): a slice's buffers hold other rows too."""
    import xxhash

    hasher = xxhash.xxh3_128()
    for batch in batches:
        hasher.update(b"b%d;" % batch.num_rows)
        for column in batch.columns:
            for chunk in column.chunks:
                arrays = [chunk, chunk.dictionary] if pa.types.is_dictionary(chunk.type) \
                    else [chunk]
                for array in arrays:
                    for buffer in array.buffers():
                        if buffer is None:
                            hasher.update(b"n;")
                        else:
                            hasher.update(b"%d;" % buffer.size)
                            hasher.update(buffer)
    return hasher.hexdigest()


class ShardCache:
    """The cache keys of one split's shards, and their lookups: `starts` (is holding off the
    encoding worth it), `restore` and `store`."""

    def __init__(self, cache: PartitionCache, scope: str, features: datasets.Features):
        from builder.cache import key

        self.cache = cache
        self.common = key(scope, "hub shard", features.to_dict())

    def _start_key(self, first: str) -> str:
        from builder.cache import key

        return key(self.common, "start", first)

    def _shard_key(self, digests: list[str]) -> str:
        from builder.cache import key

        return key(self.common, "shard", digests)

    def starts(self, first: str) -> bool:
        """Whether a cached shard began with the row group of digest `first`."""
        return not self.cache.off and self.cache.get(self._start_key(first)) is not None

    def restore(self, digests: list[str], path: Path) -> bool:
        """Put the cached shard of these row groups at `path`; False when there is none (or it
        is damaged: then it is removed)."""
        entry = self.cache.get(self._shard_key(digests))
        return entry is not None and "shard" in entry.files and entry.restore("shard", path)

    def store(self, digests: list[str], path: Path) -> None:
        """Keep the shard file at `path` (linked) as the shard of these row groups."""
        self.cache.put(self._shard_key(digests), None, {"shard": path}, kind="export: hub shards")
        self.cache.put(self._start_key(digests[0]), None, kind="export: hub shard starts")


def regroup(tables: Iterable[pa.Table], sizes: list[int], batch_rows: int) -> Iterable[pa.Table]:
    """Row groups of `sizes` rows cut from a stream of tables, each made of batches of
    `batch_rows` rows as `SplitWriter` makes them (the chunks decide where Parquet cuts pages:
    the bytes are those of the shard written as the rows streamed in)."""
    stream = iter(tables)
    pending: list[pa.Table] = []
    held = 0
    for size in sizes:
        while held < size and (table := next(stream, None)) is not None:
            pending.append(table)
            held += table.num_rows
        held_rows = pa.concat_tables(pending) if pending else None
        if held_rows is None or held_rows.num_rows < size:
            raise ValueError(f"the rows read again end before a row group of {size} rows")
        group = held_rows.slice(0, size).combine_chunks()
        yield pa.concat_tables([group.slice(start, min(batch_rows, size - start))
                                for start in range(0, size, batch_rows)])
        rest = held_rows.slice(size)  # not copied
        pending, held = ([rest], rest.num_rows) if rest.num_rows else ([], 0)
