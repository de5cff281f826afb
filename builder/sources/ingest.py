"""The ingest stage: read every source in pieces, normalise them, run the transforms.

Partition by partition: each piece of each source (a file, a byte range, a group of row
groups, see `Source.pieces`) is read by one task, normalised (`normalize`) and passed through
the row-wise transforms, and written as one or more parts of `ingested/`. Steps that need the
whole table split the work into passes and see only reduced data in between:

- a feedback log's `dedup_on` compares hashes of its rows with hashes of the other sources'
  rows (before any transform);
- `dedup` keeps the first (or last) row of each key of its columns (`columns.row_keys`);
- ids made from a content hash (sources without `key`) number repeated rows across the whole
  source (`-1`, `-2`, ...): each part reports its hashes, and the parts holding a repeat of an
  earlier part's row get their ids renumbered;
- columns get one dtype across parts (`align.unify`), like concatenated sources did.

Each pass writes its parts to a scratch folder, the last one into the artifact's temporary
folder, which replaces `ingested/` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder import artifacts
from builder.columns import (STRING, cast_series, content_hash, hex64, repeat_string,
                             require_columns, row_ids, string_series, table_to_pandas,
                             unhex64)
from builder.engine import ordered_map
from builder.fingerprints import read_inputs
from builder.partitions import Partitions, part_name, read_part, write_part
from builder.recipe.registry import SOURCES, TRANSFORMS
from builder.recipe.schema import SourceConfig, TaskConfig
from builder.sources.align import conform_frame, dtype_summary, unify
from builder.sources.base import balanced_part_bytes, check_column_names

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

    from builder.context import Context

ARTIFACT = "ingested"


def normalize(table: pa.Table, name: str, config: SourceConfig, task: TaskConfig) -> pd.DataFrame:
    """Apply a source's renames, column choice, casts and label map; add `_source` and `_id`."""
    frame, _ = normalize_piece(table, name, config, task)
    return frame


def normalize_piece(table: pa.Table, name: str, config: SourceConfig,
                    task: TaskConfig) -> tuple[pd.DataFrame, np.ndarray | None]:
    """`normalize`, and the rows' content hashes when the ids come from them (no `key`)."""
    owner = f"source '{name}'"
    require_columns(table.column_names, list(config.rename), owner)
    table = table.rename_columns([config.rename.get(c, c) for c in table.column_names])
    if config.columns is not None:
        require_columns(table.column_names, config.columns, owner)
    kept = set(table.column_names if config.columns is None else config.columns)
    check_column_names([c for c in table.column_names if c in kept], owner)
    if config.columns is not None:
        table = table.select(config.columns)
    frame = table_to_pandas(table)
    require_columns(frame, list(config.cast), owner)
    for column, type_name in config.cast.items():
        frame[column] = cast_series(frame[column], type_name, owner)
    if config.label_map and not getattr(config, "maps_own_labels", False):
        require_columns(frame, [task.label], f"{owner} (label_map)")
        labels = frame[task.label].astype(STRING)
        frame[task.label] = labels.replace(config.label_map).where(labels.notna(), None)
    hashes = None if config.key else content_hash(frame)
    ids = row_ids(frame, name, config.key, owner, hashes)
    frame.insert(0, "_source", repeat_string(name, frame.index))
    frame.insert(0, "_id", ids)
    return frame, hashes


#: The name under which the sources' `dedup_on` step counts rows in and out.
SOURCES_DEDUP = "(sources dedup_on)"


# -- the plan: row-wise segments between steps that see the whole table -------------------------

@dataclass
class SourcesDedup:
    """Feedback logs' `dedup_on`: drop a log's rows whose values occur in the other sources."""

    logs: dict[str, Any]  # source name -> Source with `dedup_keys`
    names: list[str]

    def keys(self, frame: pd.DataFrame, source: str) -> dict[str, np.ndarray]:
        found = {}
        for name, log in self.logs.items():
            if source == name or source in log.against(self.names):
                found[name] = log.dedup_keys(frame)
        return found

    def masks(self, parts: list[PartResult]) -> dict[str, np.ndarray]:
        masks = {}
        for name, log in self.logs.items():
            against = set(log.against(self.names))
            seen = [p.keys[name] for p in parts if p.source in against and name in p.keys]
            others = np.concatenate(seen) if seen else np.zeros(0, np.uint64)
            for part in parts:
                if part.source == name:
                    masks[part.name] = ~np.isin(part.keys[name], others)
        return masks


@dataclass
class DedupStep:
    """A `dedup` transform: keys per part, one keep mask over the whole table."""

    name: str
    transform: Any

    def keys(self, frame: pd.DataFrame, source: str) -> np.ndarray:
        return self.transform.keys(frame)

    def masks(self, parts: list[PartResult]) -> dict[str, np.ndarray]:
        keys = [p.keys for p in parts]
        keep = self.transform.keep_mask(np.concatenate(keys) if keys else np.zeros(0, np.uint64))
        bounds = np.cumsum([0, *[len(k) for k in keys]])
        return {p.name: keep[bounds[i]:bounds[i + 1]] for i, p in enumerate(parts)}


@dataclass
class Plan:
    """Row-wise transform segments; `barriers[k]` runs between `segments[k]` and `k + 1`."""

    segments: list[list[tuple[str, Any]]]
    barriers: list[Any]


def make_plan(ctx: Context, sources: dict[str, Any]) -> Plan:
    segments: list[list[tuple[str, Any]]] = [[]]
    barriers: list[Any] = []
    logs = {name: source for name, source in sources.items()
            if getattr(source.config, "dedup_on", None)}
    if logs:
        barriers.append(SourcesDedup(logs, list(sources)))
        segments.append([(SOURCES_DEDUP, None)])
    for name, config in ctx.recipe.transforms.items():
        transform = TRANSFORMS.get(config.type)(name, config)
        if transform.rowwise:
            segments[-1].append((name, transform))
        else:
            barriers.append(DedupStep(name, transform))
            segments.append([(name, None)])  # the barrier's own rows in and out
    return Plan(segments, barriers)


# -- tasks ---------------------------------------------------------------------------------------

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
    return results


def continue_part(item: tuple[str, str, Any, Any], ctx: Context, plan: Plan, stage: int,
                  source_folder: Path, folder: Path) -> PartResult:
    """Pass `stage`: apply the barrier before it (and renumbered ids), run its segment."""
    name, source, kept, renumber = item
    frame = read_part(source_folder / name)
    if renumber is not None:
        frame["_id"] = renumbered_ids(frame["_id"], source, *renumber)
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
        frame["_id"] = renumbered_ids(frame["_id"], source, *renumber)
    write_part(conform_frame(frame, target), folder / name)


# -- ids of repeated rows across parts ------------------------------------------------------------

def renumbering(parts: list[PartResult]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each part holding rows whose content hash occurred in earlier parts of the same
    source: (those hashes, how many times each occurred before). Their ids' occurrence numbers
    are shifted by that much, so that they count across the whole source."""
    fixes = {}
    for source in dict.fromkeys(p.source for p in parts):
        mine = [p for p in parts if p.source == source and p.id_hashes is not None]
        if len(mine) < 2:
            continue
        uniques = [np.unique(p.id_hashes, return_counts=True) for p in mine]
        every = np.concatenate([u for u, _ in uniques])
        values, seen = np.unique(every, return_counts=True)
        repeated = values[seen > 1]
        if not len(repeated):
            continue
        before = dict.fromkeys(repeated.tolist(), 0)
        for part, (hashes, counts) in zip(mine, uniques):
            shared = np.isin(hashes, repeated)
            offsets = np.array([before[h] for h in hashes[shared].tolist()], dtype=np.int64)
            if (offsets > 0).any():
                fixes[part.name] = (hashes[shared][offsets > 0], offsets[offsets > 0])
            for h, n in zip(hashes[shared].tolist(), counts[shared].tolist()):
                before[h] += n
    return fixes


def renumbered_ids(ids: pd.Series, source: str, hashes: np.ndarray,
                   offsets: np.ndarray) -> pd.Series:
    """Content ids `<source>/<hash>[-n]` whose hash is in `hashes`, with `n` raised by the
    matching offset."""
    import pyarrow as pa
    import pyarrow.compute as pc

    start = len(source) + 1
    text = pc.cast(pa.array(ids.astype(STRING)), pa.string())
    hexes = pc.utf8_slice_codeunits(text, start, start + 16).to_numpy(zero_copy_only=False)
    values = unhex64(hexes)
    if not len(hashes):
        return ids
    order = np.argsort(hashes)
    known, raise_by = hashes[order], offsets[order]
    found = np.minimum(np.searchsorted(known, values), len(known) - 1)
    shift = np.where(known[found] == values, raise_by[found], 0).astype(np.int64)
    if not shift.any():
        return ids
    tails = pc.utf8_slice_codeunits(text, start + 17, 1 << 30)
    numbers = pc.cast(pc.if_else(pc.equal(tails, ""), "0", tails), pa.int64())
    number = numbers.to_numpy(zero_copy_only=False) + shift
    suffix = np.where(number > 0, np.char.add("-", number.astype(str)), "")
    joined = pc.binary_join_element_wise(pc.binary_join_element_wise(
        source, hex64(values), "/"), pa.array(suffix, pa.string()), "")
    return string_series(joined, ids.index)


# -- the stage ------------------------------------------------------------------------------------

def check_task_columns(columns: list[str], task: TaskConfig) -> None:
    """The text and feature columns the task names must exist once the transforms ran."""
    if task.text:
        require_columns(columns, [task.text], "task.text (after sources and transforms)")
    require_columns(columns, task.features or [], "task.features (after sources and transforms)")


def run(ctx: Context) -> dict[str, Any]:
    """The ingest stage: sources -> transforms -> `ingested/`."""
    sources = {name: SOURCES.get(config.type)(name, config, ctx.root)
               for name, config in ctx.recipe.sources.items()}
    pieces = [(name, piece) for name, source in sources.items()
              for piece in source.pieces(ctx.partition_bytes)]
    plan = make_plan(ctx, sources)
    target = ctx.artifact(ARTIFACT)
    with artifacts.atomic_dir(target) as out, artifacts.scratch_dir(target) as scratch:
        passes = len(plan.barriers)
        folder = out if passes == 0 else scratch / "0"
        folder.mkdir(exist_ok=True)
        items = [(i, name, piece) for i, (name, piece) in enumerate(pieces)]
        parts = [p for group in ctx.map(read_piece, items, plan, folder, label="read sources")
                 for p in group]
        first = list(parts)
        fixes = renumbering(parts)
        for stage, barrier in enumerate(plan.barriers, start=1):
            masks = barrier.masks(parts)
            source_folder, folder = folder, out if stage == passes else scratch / str(stage)
            folder.mkdir(exist_ok=True)
            items = [(p.name, p.source, masks.get(p.name), fixes.pop(p.name, None) if stage == 1
                      else None) for p in parts]
            parts = ctx.map(continue_part, items, plan, stage, source_folder, folder,
                            label=f"transforms ({stage}/{passes})")
            _add_steps(first, parts)
        dtypes = unify([p.dtypes for p in parts])
        check_task_columns(list(dtypes), ctx.recipe.task)
        touch = [(p.name, p.source, fixes.get(p.name)) for p in parts
                 if fixes.get(p.name) is not None or _differs(p, dtypes)]
        if touch:
            ctx.map(conform_part, touch, dtypes, out, label="align columns")
        metrics = ingest_metrics(ctx, first, parts, dtypes)
    artifacts.write_json(metrics, ctx.metrics_path("ingest"))
    return metrics


def _differs(part: PartResult, dtypes: dict) -> bool:
    """Whether a part's columns or dtypes differ from the artifact's."""
    return [c for c, _, _ in part.dtypes] != list(dtypes) or any(
        d != dtypes[c] for c, d, _ in part.dtypes)


def _add_steps(first: list[PartResult], later: list[PartResult]) -> None:
    """Carry each later pass's steps and figures into the pass-0 results (part by part)."""
    by_name = {p.name: p for p in first}
    for part in later:
        origin = by_name[part.name]
        origin.steps = origin.steps + part.steps
        origin.dropped_corrections += part.dropped_corrections


def ingest_metrics(ctx: Context, first: list[PartResult], parts: list[PartResult],
                   dtypes: dict) -> dict[str, Any]:
    fingerprints = read_inputs(ctx).get("sources", {})
    sources: dict[str, Any] = {}
    for name, config in ctx.recipe.sources.items():
        mine = [p for p in first if p.source == name]
        figures: dict[str, Any] = {"type": config.type, "rows": sum(p.rows_read for p in mine),
                                   "files": fingerprints.get(name, {})}
        report: dict[str, Any] = {}
        for part in mine:
            for key, value in part.report.items():
                report[key] = report.get(key, 0) + value
        if report:
            dropped = _sources_dedup_dropped(mine)
            report["duplicates_of_other_sources"] = dropped
            report["rows"] = report.get("rows", 0) - dropped
            report["corrections"] = report.get("corrections", 0) - sum(
                p.dropped_corrections for p in mine if _has_sources_dedup(p))
            figures.update(report)
        sources[name] = figures
    steps: dict[str, list[int]] = {}
    for part in first:
        for step, rows_in, rows_out in part.steps:
            counts = steps.setdefault(step, [0, 0])
            counts[0] += rows_in
            counts[1] += rows_out
    transforms = [{"name": name, "type": config.type, "rows_in": steps.get(name, [0, 0])[0],
                   "rows_out": steps.get(name, [0, 0])[1]}
                  for name, config in ctx.recipe.transforms.items()]
    return {"sources": sources, "rows": sum(p.rows for p in parts), "steps": transforms,
            "columns": {c: str(t) for c, t in dtypes.items()}}


def _has_sources_dedup(part: PartResult) -> bool:
    return any(step == SOURCES_DEDUP for step, _, _ in part.steps)


def _sources_dedup_dropped(parts: list[PartResult]) -> int:
    return sum(rows_in - rows_out for p in parts for step, rows_in, rows_out in p.steps
               if step == SOURCES_DEDUP)


def read_ingested(ctx: Context) -> Partitions:
    """The ingest stage's artifact."""
    return Partitions.open(ctx.artifact(ARTIFACT), "ingest")
