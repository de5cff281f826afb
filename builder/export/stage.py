"""The export stage: `augmented/` -> `dataset/`, `hub/`, `README.md`, `metrics.json`.

One task per split streams the split's rows from every part (only its row groups) into the Hub
shards and the `save_to_disk` files at once (`SplitWriter`); the `DatasetDict` is then
memory-mapped from those files for the card. Nothing holds a whole split: files, batches and
row groups are cut by rows and bytes of the data, so the bytes do not depend on partitioning.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

import pyarrow.compute as pc
import pyarrow.parquet as pq

from builder import artifacts
from builder.artifacts import sha256_file
from builder.augment import ARTIFACT as INPUT
from builder.export.card import render_card
from builder.export.dataset import (arrow_value_type, features_for, output_columns,
                                    to_arrow_table, write_dataset_dict_json, write_split_state)
from builder.export.dvc_files import write_dvc_files
from builder.export.hub import MAX_SHARD_BYTES, shard_name
from builder.partitions import (Partitions, is_grouped, part_dtypes, read_head, read_row_groups,
                                 row_groups)
from builder.split import SPLIT_COLUMN

if TYPE_CHECKING:
    import datasets

    from builder.context import Context

STAGE_METRICS = ("ingest", "label", "split", "augment")
#: Rows are written in batches of this many (the `save_to_disk` default), whatever the parts.
BATCH_ROWS = 1000
#: A Hub shard's row groups hold about this much data (Arrow bytes): small enough to stream.
ROW_GROUP_BYTES = 32 * 2**20
#: A `save_to_disk` file holds about this much (as `datasets.config.MAX_SHARD_SIZE`).
MAX_ARROW_BYTES = 500 * 10**6


def content_hash(checksums: dict[str, str]) -> str:
    """One sha256 over the shards' sha256s: the identity of the dataset's content."""
    lines = "".join(f"{path} {digest}\n" for path, digest in sorted(checksums.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def split_fingerprint(checksums: dict[str, str]) -> str:
    """A split's `Dataset` fingerprint from its shards' sha256s, so the same rows give the same
    `state.json` (and `datasets` caches key on content, not on build time)."""
    return content_hash(checksums)[:16]


def export_metrics(results: dict[str, dict], ctx: Context,
                   checksums: dict[str, str]) -> dict[str, Any]:
    """Rows and classes per split (from the published label codes), shard checksums."""
    classes = ctx.recipe.task.classes
    return {
        "rows_per_split": {s: int(r["rows"]) for s, r in results.items()},
        "classes_per_split": {s: {c: int(n) for c, n in zip(classes, r["classes"])}
                              for s, r in results.items()},
        "origins_per_split": _per_split(results, "origins"),
        "label_sources_per_split": _per_split(results, "label_sources"),
        "shards": checksums,
        "content_hash": content_hash(checksums),
        "versions": library_versions(),
    }


def _per_split(results: dict[str, dict], key: str) -> dict[str, dict[str, int]]:
    """{split: {value: rows}} sorted by value ({} when the column is not published)."""
    if any(r[key] is None for r in results.values()):
        return {}
    return {s: dict(sorted(r[key].items())) for s, r in results.items()}


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose output bytes depend on them (part of reproducing)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("datasets", "pyarrow")}


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
    import pandas as pd

    return arrow_value_type(pd.Series([], dtype=dtype))


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
        table = table.filter(pc.equal(table.column(SPLIT_COLUMN), split)) \
            if SPLIT_COLUMN in table.column_names and not is_grouped(table) else table
        writer.add(publish(table, columns, task, features))
    return writer.close()


def publish(table: pa.Table, columns: list[str], task, features: datasets.Features) -> pa.Table:
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
            arrays.append(pc.fill_null(codes, -1).cast(pa.int64()))
            continue
        if pa.types.is_dictionary(values.type):
            values = values.cast(values.type.value_type)
        arrays.append(values.cast(schema.field(column).type))
    return pa.Table.from_arrays(arrays, schema=schema)


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
        for column in ("_origin", "label_source"):  # None: not published
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
        for column, counts in (("_origin", _value_counts(table, "_origin", "(none)")),
                               ("label_source", label_source_counts(table, self.label))):
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
                "classes": classes, "origins": self.counts["_origin"],
                "label_sources": self.counts["label_source"]}


#: A column whose first this many values of a shard are mostly distinct is not dictionary-encoded.
DICTIONARY_PROBE = 10_000


def shard_column_options(features: datasets.Features, schema: pa.Schema,
                         first: pa.Table | None) -> dict[str, Any]:
    """`push_to_hub`'s parquet options (`get_parquet_column_options`: snappy, dictionaries),
    without a dictionary for columns whose first `DICTIONARY_PROBE` values in the shard are
    more than half distinct (ids, free text). Parquet would drop such a dictionary after its
    first megabyte anyway; trying it costs time and bytes (1,000,000 rows: an id column took
    0.05 s and 3.2 MB with it, 0.02 s and 2.4 MB without)."""
    from datasets.arrow_writer import get_parquet_column_options

    options = get_parquet_column_options(features, schema)
    if first is None or not first.num_rows:
        return options
    head = first.slice(0, DICTIONARY_PROBE)
    unique = {name for name in schema.names if not pa.types.is_nested(schema.field(name).type)
              and pc.count_distinct(head.column(name)).as_py() * 2 > head.num_rows}
    options["use_dictionary"] = [c for c in options["use_dictionary"] if c not in unique]
    return options


def batch_bytes(block: pa.Table, rows: int) -> np.ndarray:
    """The bytes of each batch of `rows` rows of a block (one chunk per column; the last batch
    may be shorter), as `Table.nbytes` counts them once every batch is laid out on its own
    (a validity bitmap only where the batch has nulls): they decide where row groups and files
    are cut, so they must not depend on how the rows were chunked before."""
    starts = np.arange(0, block.num_rows, rows)
    lengths = np.diff(np.append(starts, block.num_rows))
    sizes = np.zeros(len(starts), dtype=np.int64)
    for column in block.columns:
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        kind = array.type
        if pa.types.is_boolean(kind):
            sizes += (lengths + 7) // 8
        elif pa.types.is_string(kind) or pa.types.is_binary(kind) or \
                pa.types.is_large_string(kind) or pa.types.is_large_binary(kind):
            width = 8 if pa.types.is_large_string(kind) or pa.types.is_large_binary(kind) else 4
            offsets = np.frombuffer(array.buffers()[1], dtype=f"<i{width}")[
                array.offset:array.offset + len(array) + 1]
            sizes += np.diff(offsets[np.append(starts, len(array))]) + lengths * width
        elif not pa.types.is_nested(kind) and not pa.types.is_dictionary(kind) and \
                kind.bit_width % 8 == 0:
            sizes += lengths * (kind.bit_width // 8)
        else:  # nested or dictionary columns: measured batch by batch
            sizes += [array.slice(start, n).nbytes for start, n in zip(starts, lengths)]
            continue
        if array.null_count:
            valid = np.add.reduceat(array.is_valid().to_numpy(zero_copy_only=False), starts)
            sizes += np.where(valid < lengths, (lengths + 7) // 8, 0)
    return sizes


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
    if "label_source" not in table.column_names:
        return {}
    made = (table.column("_origin") if "_origin" in table.column_names
            else pa.nulls(table.num_rows, pa.string()))
    unlabeled = pc.less(table.column(label), 0)  # the published label is a ClassLabel code
    missing = pc.if_else(pc.fill_null(unlabeled, True), "unlabeled",
                         pc.fill_null(pc.cast(made, pa.string()), "unlabeled"))
    sources = pc.fill_null(pc.cast(table.column("label_source"), pa.string()), missing)
    return {str(c["values"]): int(c["counts"]) for c in pc.value_counts(sources).to_pylist()}


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


def run(ctx: Context) -> dict[str, Any]:
    """Stream the augmented partitions into the Hub shards and the `save_to_disk` folder (one
    task per split), memory-map the `DatasetDict` from them for the card, then swap the
    folders in."""
    import datasets

    datasets.disable_progress_bars()  # the build shows its own progress
    parts = Partitions.open(ctx.artifact(INPUT), "augment")
    splits = list(ctx.recipe.split.fractions)
    columns, features = published_schema(ctx, parts)
    metrics = {stage: artifacts.read_json(ctx.metrics_path(stage)) for stage in STAGE_METRICS}
    metrics["recipe"] = ctx.recipe.name
    with ExitStack() as stack:
        hub = stack.enter_context(artifacts.atomic_dir(ctx.artifact("hub")))
        saved = stack.enter_context(artifacts.atomic_dir(ctx.artifact("dataset")))
        written = ctx.map(write_split, splits, parts, columns, features, hub, saved,
                          label="write shards")
        results = dict(zip(splits, written))
        checksums = {p: d for r in results.values() for p, d in r["checksums"].items()}
        fingerprints = {s: split_fingerprint(r["checksums"]) for s, r in results.items()}
        dataset_dict = load_dataset_dict(features, saved, results, fingerprints)
        write_dataset_dict_json(splits, saved)
        for split, dataset in dataset_dict.items():
            write_split_state(dataset, saved / split, results[split]["arrow_files"])
        metrics["export"] = export_metrics(results, ctx, checksums)
        shard_bytes = {p: (hub / p).stat().st_size for p in checksums}
        split_bytes = {s: r["bytes"] for s, r in results.items()}
        card = render_card(ctx.composed, dataset_dict, metrics, shard_bytes, split_bytes)
        (hub / "README.md").write_text(card)
        # The folders are swapped in when the `with` block ends, the card and metrics after.
    with artifacts.atomic_file(ctx.artifact("README.md")) as tmp:
        tmp.write_text(card)
    artifacts.write_json(metrics, ctx.artifact("metrics.json"))
    write_dvc_files(metrics, ctx.data_dir)
    return metrics["export"]
