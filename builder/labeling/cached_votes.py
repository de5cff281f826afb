"""Labeling-function votes through the partition cache (`builder.cache`).

Each function's votes on a partition are one entry, keyed by the partition's bytes, that
function's settings (and the files it reads), the task's classes and text column, how gold
labels are taken out of the rows, and the label stage's code. Editing one function recomputes
its votes only; appending rows recomputes the votes of the partitions that hold them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from builder.context import Context


def cached_label_matrix(ctx: Context, part: Path, df: pd.DataFrame, functions: list,
                        batch_size: int) -> np.ndarray:
    """`apply.label_matrix(df, functions, batch_size)` of the rows read from `part`, each
    function's column from the cache when it holds it."""
    from builder.labeling.apply import label_matrix

    cache = ctx.cache
    if cache is None or cache.off or not functions:
        return label_matrix(df, functions, batch_size)
    keys = function_keys(ctx, part, batch_size)
    columns: dict[int, np.ndarray] = {}
    for index, entry_key in enumerate(keys):
        entry = cache.get(entry_key)
        if entry is not None and _fits(entry.value, len(df)):
            columns[index] = entry.value
    missing = [i for i in range(len(functions)) if i not in columns]
    if missing:
        computed = label_matrix(df, [functions[i] for i in missing], batch_size)
        for position, index in enumerate(missing):
            columns[index] = np.ascontiguousarray(computed[:, position])
            cache.put(keys[index], columns[index], kind="label: labeling-function votes")
    return np.column_stack([columns[i] for i in range(len(functions))]).astype(np.int8,
                                                                                copy=False)


def function_keys(ctx: Context, part: Path, batch_size: int) -> list[str]:
    """One cache key per labeling function (recipe order) for its votes on `part`."""
    from builder.cache import digest_file, key

    recipe = ctx.recipe
    labeling, task = recipe.labeling, recipe.task
    common = (ctx.code, "votes", digest_file(part), task.classes, task.text, batch_size,
              dataclasses.asdict(labeling.gold), labeling.gold_column(task))
    keys = []
    for name, config in labeling.functions.items():
        files = [[str(f), digest_file(f)] for f in config.input_files(ctx.root) if f.is_file()]
        keys.append(key(*common, name, dataclasses.asdict(config), files))
    return keys


def _fits(column: object, rows: int) -> bool:
    return isinstance(column, np.ndarray) and column.dtype == np.int8 and column.shape == (rows,)
