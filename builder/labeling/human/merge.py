"""Human and feedback labels in the label stage, by precedence: human > gold > feedback > weak >
pseudo.

Each function takes the label stage's frame (with the task's label column, `label_source` and
`label_confidence`), sets the label where its source outranks the row's current one, and
returns the frame and its metrics. The order in which they are called does not matter.

- `apply_feedback_labels(df, task)`: users' corrections from `type: feedback` sources (the
  `_feedback_label` column) become labels with `label_source: feedback`, confidence 1.
- `apply_human_labels(df, store_dir, task, config)`: the label store's annotations are
  aggregated per row (majority or Dawid-Skene), checked against `min_agreement`, and become
  labels with `label_source: human` and the consensus confidence. Labels are keyed by `_id`, so
  they survive rebuilds and new data; store records whose row is gone are counted, not used.
- `apply_flywheel_labels(df, ctx)`: both, configured from the recipe, as the label stage calls it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.columns import STRING
from builder.errors import DataError, one_of
from builder.labeling.human.agreement import aggregate
from builder.labeling.human.config import HumanConfig
from builder.labeling.human.store import LabelStore

if TYPE_CHECKING:
    from builder.recipe.schema import TaskConfig
    from builder.stages import Context

#: Label sources from the most to the least trusted.
PRECEDENCE = ("human", "gold", "feedback", "weak", "pseudo")
RANK = {name: len(PRECEDENCE) - i for i, name in enumerate(PRECEDENCE)}
#: Columns a feedback source writes (see builder/sources/feedback.py).
FEEDBACK_LABEL = "_feedback_label"
FEEDBACK_PREDICTION = "_feedback_prediction"


def _positions(values: pd.Series, lookup: pd.Series) -> np.ndarray:
    """For each value, its position in `lookup` (-1 when absent), by Arrow's hash kernel."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from builder.columns import to_arrow

    keys = pc.cast(to_arrow(values.astype(STRING)), pa.string())
    table = pc.cast(to_arrow(lookup.astype(STRING)), pa.string())
    found = pc.index_in(keys, value_set=table.combine_chunks())
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def ensure_label_columns(df: pd.DataFrame, task: TaskConfig) -> pd.DataFrame:
    """Add the label, `label_source` and `label_confidence` columns when they are missing."""
    if task.label not in df.columns:
        df[task.label] = pd.Series(pd.NA, index=df.index, dtype=STRING)
    if "label_source" not in df.columns:
        df["label_source"] = pd.Series(pd.NA, index=df.index, dtype=STRING)
    if "label_confidence" not in df.columns:
        df["label_confidence"] = np.nan
    return df


def assign_labels(df: pd.DataFrame, task: TaskConfig, labels: pd.Series, confidence: pd.Series,
                  source: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Set `labels` (NA = none) where `source` outranks the row's current label source.

    Returns the frame and {"applied", "replaced": {previous source: rows}, "outranked_by":
    {source: rows}}.
    """
    df = ensure_label_columns(df, task)
    current = df["label_source"].astype(STRING)
    current_rank = current.map(RANK).astype("float64").fillna(0.0).to_numpy()
    offered = labels.notna().to_numpy()
    take = offered & (RANK[source] > current_rank)
    replaced = current[take].fillna("unlabeled").value_counts().sort_index()
    outranked = current[offered & ~take].value_counts().sort_index()
    df[task.label] = df[task.label].astype(STRING).mask(take, labels.astype(STRING))
    df["label_source"] = current.mask(take, source)
    df["label_confidence"] = df["label_confidence"].astype("float64").mask(
        take, confidence.astype("float64"))
    return df, {"applied": int(take.sum()),
                "replaced": {str(k): int(v) for k, v in replaced.items()},
                "outranked_by": {str(k): int(v) for k, v in outranked.items()}}


def apply_feedback_labels(df: pd.DataFrame, task: TaskConfig) -> tuple[pd.DataFrame, dict]:
    """Users' corrections (`_feedback_label`) become labels with `label_source: feedback`."""
    if FEEDBACK_LABEL not in df.columns:
        return df, {}
    corrections = df[FEEDBACK_LABEL].astype(STRING)
    unknown = corrections.notna() & ~corrections.isin(task.classes)
    if unknown.any():
        counts = corrections[unknown].value_counts().head(5)
        found = ", ".join(f"'{v}' ({n} rows)" for v, n in counts.items())
        raise DataError(
            f"feedback corrections: found {found}, expected one of {one_of(task.classes)}. "
            "Map the log's values with the feedback source's `label_map`.")
    df, applied = assign_labels(df, task, corrections,
                                pd.Series(1.0, index=df.index), "feedback")
    metrics: dict[str, Any] = {"corrections": int(corrections.notna().sum()), **applied}
    if FEEDBACK_PREDICTION in df.columns:
        predicted = df[FEEDBACK_PREDICTION].astype(STRING)
        changed = corrections.notna() & (corrections != predicted).fillna(True)
        metrics["corrections_changing_prediction"] = int(changed.sum())
    return df, metrics


def low_agreement_error(low: pd.DataFrame, threshold: float) -> DataError:
    listed = ", ".join(f"{r['_id']} ({r['agreement']:.2f} of {int(r['annotators'])})"
                       for r in low.head(10).to_dict("records"))
    more = f" and {len(low) - 10} more" if len(low) > 10 else ""
    rows = "1 row has" if len(low) == 1 else f"{len(low)} rows have"
    return DataError(
        f"labeling.human.min_agreement: {rows} less than {threshold:g} of their "
        f"annotators agreeing with the consensus: {listed}{more}. Get another opinion on them "
        "(`builder label export` sends tied rows again), lower min_agreement, or set "
        "labeling.human.on_low_agreement: drop to leave them out of the dataset.")


def check_store_classes(annotations: pd.DataFrame, classes: list[str]) -> None:
    unknown = annotations[~annotations["label"].isin(classes)]
    if len(unknown):
        listed = "; ".join(f"{r['batch']} line {r['line']}: '{r['label']}'"
                           for r in unknown.head(10).to_dict("records"))
        raise DataError(
            f"label store: {len(unknown)} labels name classes that task.classes no longer has "
            f"({listed}); expected {one_of(classes)}. Import corrected labels as a new batch, "
            "or add the class back.")


def apply_human_labels(df: pd.DataFrame, store_dir: Path, task: TaskConfig,
                       config: HumanConfig, display: str | None = None
                       ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Aggregate the label store per row and set human labels (see the module docstring)."""
    store = LabelStore(store_dir)
    batches = store.batches()
    metrics: dict[str, Any] = {"store": display or str(store_dir), "batches": [],
                               "annotations": 0, "rows_labeled": 0}
    if not batches:
        return df, metrics
    annotations = store.annotations(batches)
    check_store_classes(annotations, list(task.classes))
    present = pd.Series(_positions(annotations["_id"], df["_id"]) >= 0, index=annotations.index)
    metrics["batches"] = [{
        "file": b.path.name, "tool": b.header.get("tool"), "records": b.header.get("records"),
        "source_file": b.header.get("source_file"), "imported_by": b.header.get("imported_by"),
        "imported_at": b.header.get("imported_at"),
    } for b in batches]
    metrics["annotations"] = int(present.sum())
    metrics["annotations_for_missing_rows"] = int((~present).sum())
    consensus = aggregate(annotations[present], list(task.classes), config.aggregate)
    rows = consensus.rows
    low = rows[rows["agreement"].notna() & (rows["agreement"] < (config.min_agreement or 0))]
    if len(low) and config.on_low_agreement == "fail":
        raise low_agreement_error(low, config.min_agreement)
    if len(low):
        df = df[_positions(df["_id"], low["_id"]) < 0].reset_index(drop=True)
        rows = rows[_positions(rows["_id"], low["_id"]) < 0]
    import pyarrow as pa

    from builder.columns import string_series, to_arrow

    where = _positions(df["_id"], rows["_id"])
    found = where >= 0
    taken = to_arrow(rows["label"].astype(STRING)).take(pa.array(where, mask=~found))
    labels = string_series(taken, df.index)
    scores = np.append(rows["confidence"].to_numpy(dtype="float64"), np.nan)
    confidence = pd.Series(scores[where], index=df.index)  # where == -1 takes the NaN
    df, applied = assign_labels(df, task, labels, confidence, "human")
    metrics.update({
        "rows_labeled": applied["applied"],
        "replaced": applied["replaced"],
        "low_agreement": {"min_agreement": config.min_agreement,
                          "action": config.on_low_agreement, "rows": int(len(low)),
                          "dropped": int(len(low)) if config.on_low_agreement == "drop" else 0},
        **consensus.metrics,
    })
    metrics["consensus_rows"] = metrics.pop("rows")
    return df, metrics


def apply_flywheel_labels(df: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Feedback corrections and the human label store, configured from `ctx.recipe`.

    Returns the frame and {"feedback": ..., "human": ...} for `metrics/label.json`.
    """
    task = ctx.recipe.task
    config = ctx.recipe.labeling.human
    if not isinstance(config, HumanConfig):
        config = HumanConfig()
    store_dir = config.store_dir(ctx.root, ctx.recipe.name)
    try:
        display = str(store_dir.resolve().relative_to(ctx.root.resolve()))
    except ValueError:
        display = str(store_dir)
    df = ensure_label_columns(df, task)
    df, feedback = apply_feedback_labels(df, task)
    df, human = apply_human_labels(df, store_dir, task, config, display)
    metrics = {"human": human}
    if feedback:
        metrics["feedback"] = feedback
    return df, metrics
