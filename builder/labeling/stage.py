"""The label stage: give every row a label, a `label_source` and a `label_confidence`.

The backbone passes the task's gold label column through; labeling functions, label models,
pseudo-labels and human labels plug in here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder import artifacts
from builder.columns import STRING, repeat_string
from builder.errors import DataError, one_of
from builder.sources.ingest import ARTIFACT as INPUT

if TYPE_CHECKING:
    from builder.stages import Context

ARTIFACT = "labeled.parquet"
LABEL_SOURCES = ("gold", "human", "feedback", "weak", "pseudo")


def gold_labels(df: pd.DataFrame, label: str, classes: list[str]) -> pd.Series:
    """The gold label column as class names (missing where absent); unknown names are errors."""
    if label not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype=STRING)
    labels = df[label].astype(STRING)
    unknown = labels.notna() & ~labels.isin(classes)
    if unknown.any():
        counts = labels[unknown].value_counts().head(5)
        found = ", ".join(f"'{v}' ({n} rows)" for v, n in counts.items())
        raise DataError(
            f"label column '{label}': found {found}, expected one of {one_of(classes)}. "
            "Map raw values with a source's `label_map`, or drop those rows with a `filter`."
        )
    return labels


def run(ctx: Context) -> dict[str, Any]:
    """The label stage: ingested rows -> `labeled.parquet` with label provenance."""
    task = ctx.recipe.task
    df = artifacts.read_parquet(ctx.artifact(INPUT), "ingest")
    labels = gold_labels(df, task.label, task.classes)
    df[task.label] = labels
    has_label = labels.notna().to_numpy()
    df["label_source"] = repeat_string("gold", df.index, where=has_label)
    df["label_confidence"] = np.where(has_label, 1.0, np.nan)
    rows_in = len(df)
    if ctx.recipe.labeling.unlabeled == "drop" and not has_label.all():
        df = df[has_label].reset_index(drop=True)
    metrics = {
        "rows_in": rows_in,
        "rows_out": len(df),
        "unlabeled_dropped": rows_in - len(df),
        "label_sources": df["label_source"].value_counts().sort_index().to_dict(),
        "classes": df[task.label].value_counts().reindex(task.classes, fill_value=0).to_dict(),
    }
    artifacts.write_parquet(df, ctx.artifact(ARTIFACT))
    artifacts.write_json(metrics, ctx.metrics_path("label"))
    return metrics
