"""Writing one split: its rows, part after part, into its Hub shards and its `save_to_disk`
files at once (`write_split`, `SplitWriter`), counting its classes, origins and label sources.
Nothing holds a whole split: files, batches and row groups are cut by rows and bytes of the data
(`sizing`), so the bytes do not depend on partitioning."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder.artifacts import sha256_file
from builder.export.hub import MAX_SHARD_BYTES, shard_name
from builder.export.saved import saved_schema
from builder.export.schema import published
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
    count its classes, origins and label sources."""
    task = ctx.recipe.task
    writer = SplitWriter(split, features, hub, saved)
    for index, name in enumerate(parts.names):
        groups = row_groups(parts.folder / name, split)
        if not groups:
            continue
        table = read_row_groups(parts.folder / name, groups)
        table = table.filter(pc.equal(table.column(SPLIT), split)) \
            if SPLIT in table.column_names and not is_grouped(table) else table
        writer.add(published(table, columns, task, features))
    return writer.close()


class SplitWriter:
    """Writes one split's Hub shards (`data/<split>-NNNNN-of-NNNNN.parquet`) and `save_to_disk`
    files (`<split>/data-NNNNN-of-NNNNN.arrow`) from a stream of tables, holding at most two row
    groups (one being encoded): rows go in batches of `BATCH_ROWS`, `ROW_GROUP_BYTES` of them a
    row group, and a new file starts past `MAX_SHARD_BYTES`; files are named once their count
    is known."""

    def __init__(self, split: str, features: datasets.Features, hub: Path, saved: Path):
        self.split, self.features, self.hub, self.saved = split, features, hub, saved
        self.schema = features.arrow_schema
        self.arrow_schema = saved_schema(features)
        self.pending: list[pa.Table] = []  # rows not yet in a whole batch
        self.group: list[pa.Table] = []  # whole batches of the next row group
        self.group_bytes = 0
        self.parquet: Any = None
        self.parquet_bytes = 0
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
        may be shorter): into the Arrow file, starting a new one past `MAX_ARROW_BYTES`, and
        into row groups, handed to the parquet thread past `ROW_GROUP_BYTES`. Only the cuts
        cost a call into pyarrow, not every batch."""
        sizes = batch_bytes(block, BATCH_ROWS).tolist()
        self.rows += block.num_rows
        written = 0  # the first batch not yet in the Arrow file
        for index, size in enumerate(sizes):
            if self.arrow is None or self.arrow_bytes >= MAX_ARROW_BYTES:
                self.write_arrow(block, written, index)
                self.next_arrow()
                written = index
            self.arrow_bytes += size
            self.bytes += size
            self.group.append(block.slice(index * BATCH_ROWS, BATCH_ROWS))
            self.group_bytes += size
            if self.group_bytes >= ROW_GROUP_BYTES:
                self.flush_group()
        self.write_arrow(block, written, len(sizes))

    def write_arrow(self, block: pa.Table, first: int, stop: int) -> None:
        """Batches `first` to `stop` of a block into the Arrow file, each copied into buffers of
        its own: the IPC writer pads a sliced buffer with up to 63 bytes of whatever follows it
        in memory, which would make the file depend on how rows were chunked before."""
        positions = pa.array(np.arange(BATCH_ROWS))
        for index in range(first, stop):
            batch = block.slice(index * BATCH_ROWS, BATCH_ROWS)
            self.arrow.write_table(batch.take(positions[:batch.num_rows]))

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
        """Hand the next row group to the parquet thread (after the one before is written)."""
        if not self.group:
            return
        table = pa.concat_tables(self.group)
        if self.parquet is None or self.parquet_bytes >= MAX_SHARD_BYTES:
            self.next_parquet(table)
        self.wait_parquet()
        self.parquet_writing = self.encoder.submit(self.parquet.write_table, table,
                                                   row_group_size=table.num_rows)
        self.parquet_bytes += self.group_bytes
        self.group, self.group_bytes = [], 0

    def wait_parquet(self) -> None:
        """Wait until the row group being encoded is written (raising its error)."""
        if self.parquet_writing is not None:
            self.parquet_writing.result()
            self.parquet_writing = None

    def next_parquet(self, first: pa.Table | None = None) -> None:
        """Start the next shard, whose first row group is `first` (None: an empty shard), with
        the column options `push_to_hub` uses (`shard_column_options`)."""
        if self.parquet is not None:
            self.wait_parquet()
            self.parquet.close()
        path = self.hub / "data" / f".{self.split}-{len(self.hub_files):05d}.parquet"
        self.hub_files.append(path)
        self.parquet = pq.ParquetWriter(
            path, schema=self.schema, **shard_column_options(self.features, self.schema, first))
        self.parquet_bytes = 0

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
        if self.parquet is None:  # an empty split still gets a shard (with the schema)
            self.next_parquet()
        self.wait_parquet()
        self.encoder.shutdown()
        self.parquet.close()
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
