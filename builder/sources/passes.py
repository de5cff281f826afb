"""Ingesting: read every source in pieces, normalise them, run the transforms, in passes.

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

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder import artifacts
from builder.columns import require_columns
from builder.fingerprints import read_inputs
from builder.recipe.registry import SOURCES
from builder.recipe.schema import TaskConfig
from builder.sources.align import unify
from builder.sources.parts import PartResult, conform_part, continue_part, read_piece
from builder.sources.plan import SOURCES_DEDUP, make_plan
from builder.sources.renumbering import renumbering

if TYPE_CHECKING:
    from builder.context import Context


def check_task_columns(columns: list[str], task: TaskConfig) -> None:
    """The text and feature columns the task names must exist once the transforms ran."""
    if task.text:
        require_columns(columns, [task.text], "task.text (after sources and transforms)")
    require_columns(columns, task.features or [], "task.features (after sources and transforms)")


def ingest(ctx: Context, target: Path) -> dict[str, Any]:
    """Every source through the transforms into the artifact folder `target`; the ingest
    metrics."""
    sources = {name: SOURCES.get(config.type)(name, config, ctx.root)
               for name, config in ctx.recipe.sources.items()}
    for source in sources.values():  # pieces are cut alike on every engine
        source.threads = ctx.recipe.engine_config.threads
    pieces = [(name, piece) for name, source in sources.items()
              for piece in source.pieces(ctx.partition_bytes)]
    plan = make_plan(ctx, sources)
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
        return ingest_metrics(ctx, first, parts, dtypes)


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
                report[key] = report[key] + value if key in report else value  # or lists
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
