"""Writing one split: its rows, part after part, into its Hub shards and its `save_to_disk`
files at once (`write_split`, `SplitWriter`), counting its classes, origins and label sources.
Nothing holds a whole split: files, batches and row groups are cut by rows and bytes of the data
(`sizing`), so the bytes do not depend on partitioning. With the partition cache, a shard
whose rows a build before wrote is restored from it instead of encoded (`shard_cache`)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.artifacts import sha256_file
from builder.export.hub import MAX_SHARD_BYTES, shard_name
from builder.export.saved import saved_schema
from builder.export.schema import published
from builder.export.shard_cache import Reread, ShardCache, group_digest, regroup
from builder.export.sizing import (BATCH_ROWS, MAX_ARROW_BYTES, ROW_GROUP_BYTES, batch_bytes,
                                   shard_column_options)
from builder.partitions import is_grouped, read_row_groups, row_groups
from builder.rows import LABEL_SOURCE, ORIGIN, SPLIT

if TYPE_CHECKING:
    import datasets

    from builder.context import Context
    from builder.partitions import Partitions


def write_split(split: str, ctx: Context, parts: Partitions, columns: list[str],
                features: datasets.Features, hub: Path, saved: Path) -> dict[str, Any]:
    """Stream one split's rows, part after part, into its Hub shards and its `save_to_disk`
    files, in batches of `BATCH_ROWS` rows (so the files do not depend on partitioning), and
    count its classes, origins and label sources. With the partition cache (`ctx.cache`),
    shards a build before wrote are restored from it (`shard_cache`)."""
    task = ctx.recipe.task
    pieces: list[tuple[str, int, int]] = []  # part, its first row in the split, its rows

    def read(name: str) -> pa.Table | None:
        groups = row_groups(parts.folder / name, split)
        if not groups:
            return None
        table = read_row_groups(parts.folder / name, groups)
        table = table.filter(pc.equal(table.column(SPLIT), split)) \
            if SPLIT in table.column_names and not is_grouped(table) else table
        return published(table, columns, task, features)

    def reread(start: int, stop: int) -> Iterator[pa.Table]:
        read_so_far = list(pieces)  # now: the generator runs in the parquet thread
        return (read(name).slice(max(start - first, 0),
                                 min(stop, first + rows) - max(start, first))
                for name, first, rows in read_so_far if first < stop and first + rows > start)

    cache = ctx.cache
    shards = None if cache is None or cache.off else ShardCache(cache, ctx.scope, features)
    writer = SplitWriter(split, features, hub, saved, shards, reread)
    for name in parts.names:
        table = read(name)
        if table is None:
            continue
        pieces.append((name, writer.received, table.num_rows))
        writer.add(table)
    return writer.close()


class SplitWriter:
    """Writes one split's Hub shards (`data/<split>-NNNNN-of-NNNNN.parquet`) and `save_to_disk`
    files (`<split>/data-NNNNN-of-NNNNN.arrow`) from a stream of tables, holding at most two row
    groups (one being encoded): rows go in batches of `BATCH_ROWS`, `ROW_GROUP_BYTES` of them a
    row group, and a new file starts past `MAX_SHARD_BYTES`; files are named once their count
    is known. With `shards` (and `reread`, which gives the rows added again), a shard is
    only hashed when a cached shard starts with its first row group, and at its end restored
    from the cache or encoded from its rows read again; other shards are encoded as their rows
    come and stored (`shard_cache`)."""

    def __init__(self, split: str, features: datasets.Features, hub: Path, saved: Path,
                 shards: ShardCache | None = None, reread: Reread | None = None):
        self.split, self.features, self.hub, self.saved = split, features, hub, saved
        self.schema = features.arrow_schema
        self.arrow_schema = saved_schema(features)
        self.pending: list[pa.Table] = []  # rows not yet in a whole batch
        self.group: list[pa.Table] = []  # whole batches of the next row group
        self.group_bytes = 0
        self.parquet: Any = None  # the shard's writer; None while it is only hashed
        self.parquet_bytes = 0
        self.shards = shards if reread is not None else None
        self.reread = reread
        self.shard: dict[str, Any] | None = None  # path, first row, row groups' digests, sizes
        self.grouped = 0  # rows handed to row groups
        self.received = 0  # rows added
        self.restored = 0  # shards restored from the cache
        self.jobs: list[Future] = []  # shards encoded from rows read again
        # Parquet encoding and compression run in a thread of their own (pyarrow releases the
        # GIL), beside the Arrow writes and the reads of the next rows: a row group at a time.
        self.encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"parquet-{split}")
        self.parquet_writing: Future | None = None
        self.arrow: Any = None
        self.arrow_sink: Any = None
        self.arrow_bytes = 0
        self.bytes = 0  # of the split's Arrow data, as `Table.nbytes` counts it
        self.hub_files: list[Path] = []
        self.arrow_files: list[Path] = []
        self.rows = 0
        self.counts: dict[str, Any] = {"classes": None}
        for column in (ORIGIN, LABEL_SOURCE):  # None: not published
            self.counts[column] = {} if column in self.schema.names else None
        (hub / "data").mkdir(parents=True, exist_ok=True)
        (saved / split).mkdir(parents=True, exist_ok=True)

    def add(self, table: pa.Table) -> None:
        self.count(table)
        self.received += table.num_rows
        self.pending.append(table)
        size = sum(t.num_rows for t in self.pending)
        if size < BATCH_ROWS:
            return
        combined = pa.concat_tables(self.pending).combine_chunks()
        whole = size - size % BATCH_ROWS
        self.write(combined.slice(0, whole))
        self.pending = [combined.slice(whole)] if whole < size else []

    def write(self, block: pa.Table) -> None:
        """Write a block of rows (one chunk per column) as batches of `BATCH_ROWS` (the last one
        may be shorter), each copied into buffers of its own (the IPC writer pads a sliced
        buffer with up to 63 bytes of whatever follows it in memory, which would make the file
        depend on how rows were chunked before; the shard cache hashes the buffers): into the
        Arrow file, starting a new one past `MAX_ARROW_BYTES`, and into row groups, handed on
        past `ROW_GROUP_BYTES`."""
        sizes = batch_bytes(block, BATCH_ROWS).tolist()
        positions = pa.array(np.arange(BATCH_ROWS))
        self.rows += block.num_rows
        for index, size in enumerate(sizes):
            batch = block.slice(index * BATCH_ROWS, BATCH_ROWS)
            batch = batch.take(positions[:batch.num_rows])
            if self.arrow is None or self.arrow_bytes >= MAX_ARROW_BYTES:
                self.next_arrow()
            self.arrow.write_table(batch)
            self.arrow_bytes += size
            self.bytes += size
            self.group.append(batch)
            self.group_bytes += size
            if self.group_bytes >= ROW_GROUP_BYTES:
                self.flush_group()

    def count(self, table: pa.Table) -> None:
        """Add a table's rows to the split's classes, origins and label sources."""
        codes = table.column(self.label).to_numpy()
        classes = np.bincount(codes[codes >= 0], minlength=len(self.features[self.label].names))
        self.counts["classes"] = classes if self.counts["classes"] is None else \
            self.counts["classes"] + classes
        for column, counts in ((ORIGIN, _value_counts(table, ORIGIN, "(none)")),
                               (LABEL_SOURCE, label_source_counts(table, self.label))):
            if self.counts[column] is not None:
                for key, n in counts.items():
                    self.counts[column][key] = self.counts[column].get(key, 0) + n

    @property
    def label(self) -> str:
        import datasets

        return next(n for n, f in self.features.items() if isinstance(f, datasets.ClassLabel))

    def flush_group(self) -> None:
        """Hand the next row group to the parquet thread (after the one before is written), or
        only hash it while its shard may be restored."""
        if not self.group:
            return
        table = pa.concat_tables(self.group)
        digest = group_digest(self.group) if self.shards is not None else ""
        if self.shard is None or self.parquet_bytes >= MAX_SHARD_BYTES:
            self.end_shard()
            self.start_shard(table, digest)
        self.shard["digests"].append(digest)
        self.shard["sizes"].append(table.num_rows)
        if self.parquet is not None:
            self.wait_parquet()
            self.parquet_writing = self.encoder.submit(self.parquet.write_table, table,
                                                       row_group_size=table.num_rows)
        self.parquet_bytes += self.group_bytes
        self.grouped += table.num_rows
        self.group, self.group_bytes = [], 0

    def wait_parquet(self) -> None:
        """Wait until the row group being encoded is written (raising its error)."""
        if self.parquet_writing is not None:
            self.parquet_writing.result()
            self.parquet_writing = None

    def start_shard(self, first: pa.Table, digest: str) -> None:
        """Start the next shard, whose first row group is `first`: encoded as its rows come,
        unless a cached shard starts with the same rows."""
        path = self.hub / "data" / f".{self.split}-{len(self.hub_files):05d}.parquet"
        self.hub_files.append(path)
        self.shard = {"path": path, "start": self.grouped, "digests": [], "sizes": []}
        self.parquet_bytes = 0
        hashed_only = self.shards is not None and self.shards.starts(digest)
        self.parquet = None if hashed_only else self.open_parquet(path, first)

    def end_shard(self) -> None:
        """Finish the shard being written: close and store it (encoded), or restore it from
        the cache, else encode it from its rows read again, in the parquet thread."""
        if self.shard is None:
            return
        shard, self.shard = self.shard, None
        if self.parquet is not None:
            self.wait_parquet()
            self.parquet.close()
            self.parquet = None
            if self.shards is not None:
                self.shards.store(shard["digests"], shard["path"])
        elif self.shards.restore(shard["digests"], shard["path"]):
            self.restored += 1
        else:
            rows = self.reread(shard["start"], shard["start"] + sum(shard["sizes"]))
            self.jobs.append(self.encoder.submit(self.encode, shard, rows))

    def encode(self, shard: dict[str, Any], rows: Iterable[pa.Table]) -> None:
        """Write a shard from its rows read again, cut in its row groups, and store it."""
        writer = None
        for group in regroup(rows, shard["sizes"], BATCH_ROWS):
            writer = writer or self.open_parquet(shard["path"], group)
            writer.write_table(group, row_group_size=group.num_rows)
        writer.close()
        self.shards.store(shard["digests"], shard["path"])

    def open_parquet(self, path: Path, first: pa.Table | None) -> Any:
        """A shard's writer, with the column options `push_to_hub` uses
        (`shard_column_options`, from its first row group; None: an empty shard)."""
        return pq.ParquetWriter(
            path, schema=self.schema, **shard_column_options(self.features, self.schema, first))

    def next_arrow(self) -> None:
        self.close_arrow()
        path = self.saved / self.split / f".data-{len(self.arrow_files):05d}.arrow"
        self.arrow_files.append(path)
        self.arrow_sink = pa.OSFile(str(path), "wb")
        self.arrow = pa.ipc.new_stream(self.arrow_sink, self.arrow_schema)
        self.arrow_bytes = 0

    def close_arrow(self) -> None:
        if self.arrow is not None:
            self.arrow.close()
            self.arrow_sink.close()
            self.arrow = None

    def close(self) -> dict[str, Any]:
        """Write what is left, name the files, return their checksums and the counts."""
        if self.pending:
            combined = pa.concat_tables(self.pending).combine_chunks()
            self.pending = []
            if combined.num_rows:
                self.write(combined)
        self.flush_group()
        self.end_shard()
        if not self.hub_files:  # an empty split still gets a shard (with the schema)
            self.hub_files.append(self.hub / "data" / f".{self.split}-00000.parquet")
            self.open_parquet(self.hub_files[0], None).close()
        for job in self.jobs:
            job.result()
        self.encoder.shutdown()
        if self.arrow is None:
            self.next_arrow()
        self.close_arrow()
        checksums = {}
        for index, path in enumerate(self.hub_files):
            relative = shard_name(self.split, index, len(self.hub_files))
            path.rename(self.hub / relative)
            checksums[relative] = sha256_file(self.hub / relative)
        names = []
        for index, path in enumerate(self.arrow_files):
            name = f"data-{index:05d}-of-{len(self.arrow_files):05d}.arrow"
            path.rename(self.saved / self.split / name)
            names.append(name)
        classes = self.counts["classes"]
        if classes is None:
            classes = np.zeros(len(self.features[self.label].names), dtype=np.int64)
        return {"rows": self.rows, "bytes": self.bytes, "checksums": checksums,
                "arrow_files": names,
                "classes": classes, "origins": self.counts[ORIGIN],
                "label_sources": self.counts[LABEL_SOURCE]}


def _value_counts(table: pa.Table, column: str, missing: str) -> dict[str, int]:
    """Rows per value of `column` ({} when the table lacks it)."""
    if column not in table.column_names:
        return {}
    counts = pc.value_counts(pc.fill_null(table.column(column), missing)).to_pylist()
    return {str(c["values"]): int(c["counts"]) for c in counts}


def label_source_counts(table: pa.Table, label: str) -> dict[str, int]:
    """Rows per `label_source` ({} without the column). A row without a label source is
    `unlabeled` when it has no label either; else the augment stage made it with its class, and
    it counts under its `_origin` (`synthetic`, `smote`, `oversampled`)."""
    if LABEL_SOURCE not in table.column_names:
        return {}
    made = (table.column(ORIGIN) if ORIGIN in table.column_names
            else pa.nulls(table.num_rows, pa.string()))
    unlabeled = pc.less(table.column(label), 0)  # the published label is a ClassLabel code
    missing = pc.if_else(pc.fill_null(unlabeled, True), "unlabeled",
                         pc.fill_null(pc.cast(made, pa.string()), "unlabeled"))
    sources = pc.fill_null(pc.cast(table.column(LABEL_SOURCE), pa.string()), missing)
    return {str(c["values"]): int(c["counts"]) for c in pc.value_counts(sources).to_pylist()}
