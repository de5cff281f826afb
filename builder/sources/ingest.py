"""The ingest stage: read every source, normalise and concatenate them, run the transforms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from builder import artifacts
from builder.columns import (STRING, cast_series, repeat_string, require_columns, row_ids,
                             table_to_pandas)
from builder.errors import DataError
from builder.fingerprints import read_inputs
from builder.recipe.registry import SOURCES, TRANSFORMS
from builder.recipe.schema import SourceConfig, TaskConfig
from builder.sources.align import align_frames
from builder.sources.base import check_column_names

if TYPE_CHECKING:
    import pyarrow as pa

    from builder.stages import Context

ARTIFACT = "ingested.parquet"


def normalize(table: pa.Table, name: str, config: SourceConfig, task: TaskConfig) -> pd.DataFrame:
    """Apply a source's renames, column choice, casts and label map; add `_source` and `_id`."""
    owner = f"source '{name}'"
    require_columns(table.column_names, list(config.rename), owner)
    table = table.rename_columns([config.rename.get(c, c) for c in table.column_names])
    check_column_names(table.column_names, owner)
    if config.columns is not None:
        require_columns(table.column_names, config.columns, owner)
        table = table.select(config.columns)
    frame = table_to_pandas(table)
    require_columns(frame, list(config.cast), owner)
    for column, type_name in config.cast.items():
        frame[column] = cast_series(frame[column], type_name, owner)
    if config.label_map:
        require_columns(frame, [task.label], f"{owner} (label_map)")
        labels = frame[task.label].astype(STRING)
        frame[task.label] = labels.replace(config.label_map).where(labels.notna(), None)
    ids = row_ids(frame, name, config.key, owner)
    frame.insert(0, "_source", repeat_string(name, frame.index))
    frame.insert(0, "_id", ids)
    return frame


def read_sources(ctx: Context) -> tuple[pd.DataFrame, dict[str, Any]]:
    """All sources, normalised and concatenated, with per-source metrics."""
    fingerprints = read_inputs(ctx).get("sources", {})
    frames, metrics = [], {}
    for name, config in ctx.track(ctx.recipe.sources.items(), "sources"):
        source = SOURCES.get(config.type)(name, config, ctx.root)
        frame = normalize(source.read(), name, config, ctx.recipe.task)
        frames.append(frame)
        metrics[name] = {"type": config.type, "rows": len(frame),
                         "files": fingerprints.get(name, {})}
    return concat_frames(frames), metrics


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate source frames; a column missing from one source is null there."""
    if len(frames) == 1:
        return frames[0]
    frames = align_frames(frames)
    combined = pd.concat(frames, ignore_index=True, sort=False)
    for column in combined.columns:
        kinds = {str(f[column].dtype) for f in frames if column in f.columns}
        if combined[column].dtype == object and len(kinds) > 1:
            raise DataError(
                f"sources: column '{column}' has different types across sources ({sorted(kinds)}); "
                "expected one type: add a `cast:` to the sources that differ."
            )
    return combined


def apply_transforms(df: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, list[dict]]:
    """Run the recipe's transforms in order, recording rows in and out of each."""
    steps = []
    for name, config in ctx.track(ctx.recipe.transforms.items(), "transforms"):
        transform = TRANSFORMS.get(config.type)(name, config)
        rows_in = len(df)
        df = transform.apply(df)
        steps.append({"name": name, "type": config.type, "rows_in": rows_in, "rows_out": len(df)})
    return df.reset_index(drop=True), steps


def check_task_columns(df: pd.DataFrame, task: TaskConfig) -> None:
    """The text and feature columns the task names must exist once the transforms ran."""
    if task.text:
        require_columns(df, [task.text], "task.text (after sources and transforms)")
    require_columns(df, task.features or [], "task.features (after sources and transforms)")


def run(ctx: Context) -> dict[str, Any]:
    """The ingest stage: sources -> transforms -> `ingested.parquet`."""
    df, sources = read_sources(ctx)
    df, steps = apply_transforms(df, ctx)
    check_task_columns(df, ctx.recipe.task)
    metrics = {"sources": sources, "rows": len(df), "steps": steps,
               "columns": {c: str(t) for c, t in df.dtypes.items()}}
    artifacts.write_parquet(df, ctx.artifact(ARTIFACT))
    artifacts.write_json(metrics, ctx.metrics_path("ingest"))
    return metrics
