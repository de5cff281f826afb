"""What every source's rows go through first: renames, column choice, casts, label map, and the
`_source` and `_id` columns (`normalize_piece`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from builder.columns import (STRING, cast_series, content_hash, repeat_string, require_columns,
                             row_ids, table_to_pandas)
from builder.recipe.schema import SourceConfig, TaskConfig
from builder.rows import ID, SOURCE
from builder.sources.base import check_column_names

if TYPE_CHECKING:
    import pyarrow as pa


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
    # Image sources identify a row by its image's bytes alone (`id_columns`), not its path.
    id_columns = [c for c in getattr(config, "id_columns", ()) if c in frame.columns]
    hashes = None if config.key else content_hash(frame[id_columns] if id_columns else frame)
    ids = row_ids(frame, name, config.key, owner, hashes)
    frame.insert(0, SOURCE, repeat_string(name, frame.index))
    frame.insert(0, ID, ids)
    return frame, hashes
