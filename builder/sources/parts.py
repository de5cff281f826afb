"""The ingest tasks, one per part: read a piece of a source (`read_piece`, pass 0), go on
after a barrier (`continue_part`), give a part the artifact's dtypes (`conform_part`); each
tells the driver what it wrote (`PartResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.engine import ordered_map
from builder.partitions import part_name, read_part, write_part
from builder.recipe.registry import SOURCES
from builder.rows import ID
from builder.sources.align import conform_frame, dtype_summary
from builder.sources.base import balanced_part_bytes
from builder.sources.normalize import normalize_piece
from builder.sources.renumbering import renumbered_ids

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

    from builder.context import Context
    from builder.sources.plan import Plan


@dataclass
class PartResult:
    """What a task tells the driver about one part it wrote."""

    name: str
    source: str
    rows_read: int
    steps: list[tuple[str, int, int]]
    dtypes: list
    rows: int
    id_hashes: np.ndarray | None = None
    keys: Any = None
    dropped_corrections: int = 0
    report: dict[str, Any] = field(default_factory=dict)


def run_segment(frame: pd.DataFrame, segment: list[tuple[str, Any]], kept: np.ndarray | None,
                ) -> tuple[pd.DataFrame, list[tuple[str, int, int]]]:
    """Apply a barrier's keep mask (the segment's first entry has no transform) and the
    row-wise transforms of a segment, counting rows in and out of each."""
    steps = []
    for name, transform in segment:
        rows_in = len(frame)
        if transform is None:
            frame = frame[kept] if kept is not None else frame
        else:
            frame = transform.apply(frame)
        steps.append((name, rows_in, len(frame)))
    return frame.reset_index(drop=True), steps


def _finish(frame: pd.DataFrame, name: str, source: str, rows_read: int, steps: list,
            plan: Plan, stage: int, folder: Path, **extra: Any) -> PartResult:
    barrier = plan.barriers[stage] if stage < len(plan.barriers) else None
    keys = barrier.keys(frame, source) if barrier is not None else None
    write_part(frame, folder / name)
    return PartResult(name, source, rows_read, steps, dtype_summary(frame), len(frame),
                      keys=keys, **extra)


def read_ahead(tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The tables of `tables`, the next one read in a thread while the caller works on the
    current one (readers release the GIL while they parse): reading overlaps the row-wise
    steps, at the cost of one more table in memory."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as reader:
        try:
            upcoming = reader.submit(next, tables, None)
            while (table := upcoming.result()) is not None:
                upcoming = reader.submit(next, tables, None)
                yield table
        finally:  # a reader stopped early is closed in its thread (an SQLite connection, say)
            close = getattr(tables, "close", None)
            if close is not None:
                reader.submit(close).result()


def read_piece(item: tuple[int, str, Any], ctx: Context, plan: Plan,
               folder: Path) -> list[PartResult]:
    """Pass 0: read one piece of a source, normalise it, run the first row-wise segment."""
    index, name, piece = item
    config = ctx.recipe.sources[name]
    source = SOURCES.get(config.type)(name, config, ctx.root)
    entry_key = _piece_key(ctx, source, piece)
    if entry_key is not None:
        restored = _restore_piece(ctx.cache, entry_key, index, folder)
        if restored is not None:
            return restored

    def first_segment(numbered: tuple[int, pa.Table]) -> PartResult:
        batch, table = numbered
        frame, hashes = normalize_piece(table, name, config, ctx.recipe.task)
        rows_read = len(frame)
        frame, steps = run_segment(frame, plan.segments[0], None)
        return _finish(frame, part_name(index, batch), name, rows_read, steps, plan, 0, folder,
                       id_hashes=hashes)

    # Balanced for `engine.threads` whatever the engine, so that Dask and local parts match.
    part_bytes = balanced_part_bytes(source.piece_bytes(piece), ctx.partition_bytes,
                                     ctx.recipe.engine_config.threads)
    tables = enumerate(read_ahead(source.read_piece(piece, part_bytes)))
    results = list(ordered_map(first_segment, tables, ctx.local_threads))
    if results:
        results[-1].report = dict(source.report)
    if entry_key is not None:
        ctx.cache.put(entry_key, results, {str(i): folder / r.name for i, r in enumerate(results)},
                      kind="ingest: pieces read and transformed")
    return results


def _piece_key(ctx: Context, source: Any, piece: Any) -> str | None:
    """The partition cache key of a piece (None: no cache, or a piece it cannot fingerprint):
    its bytes, the stage's scope (recipe sections and code) and how pieces are cut."""
    if ctx.cache is None or ctx.cache.off:
        return None
    digest = source.piece_digest(piece)
    if digest is None:
        return None
    from builder.cache import key

    config = ctx.recipe.engine_config
    return key(ctx.scope, "read_piece", source.name, digest, config.partition_bytes,
               config.threads)


def _restore_piece(cache: Any, entry_key: str, index: int,
                   folder: Path) -> list[PartResult] | None:
    """A piece's parts and results from the cache, named for its place in this build (`index`);
    None when absent or damaged."""
    entry = cache.get(entry_key)
    if entry is None:
        return None
    results: list[PartResult] = entry.value
    for batch, result in enumerate(results):
        result.name = part_name(index, batch)
        if not entry.restore(str(batch), folder / result.name):
            return None
    return results


def continue_part(item: tuple[str, str, Any, Any], ctx: Context, plan: Plan, stage: int,
                  source_folder: Path, folder: Path) -> PartResult:
    """Pass `stage`: apply the barrier before it (and renumbered ids), run its segment."""
    name, source, kept, renumber = item
    frame = read_part(source_folder / name)
    if renumber is not None:
        frame[ID] = renumbered_ids(frame[ID], source, *renumber)
    dropped_corrections = 0
    if kept is not None and "_feedback_label" in frame.columns:
        dropped_corrections = int(frame["_feedback_label"][~kept].notna().sum())
    frame, steps = run_segment(frame, plan.segments[stage], kept)
    return _finish(frame, name, source, 0, steps, plan, stage, folder,
                   dropped_corrections=dropped_corrections)


def conform_part(item: tuple[str, str, Any], ctx: Context, target: dict, folder: Path) -> None:
    """The last touch of a part: renumbered ids and the artifact's dtypes, rewritten in place."""
    name, source, renumber = item
    frame = read_part(folder / name)
    if renumber is not None:
        frame[ID] = renumbered_ids(frame[ID], source, *renumber)
    write_part(conform_frame(frame, target), folder / name)
