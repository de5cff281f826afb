"""Human and feedback labels for the label stage, as `Candidate`s of its one precedence merge
(`builder.labeling.merge`: human > gold > feedback > weak > pseudo).

- `feedback_candidate(df, task)`: users' corrections from `type: feedback` sources (the
  `_feedback_label` column) are labels with `label_source: feedback` and confidence 1.
- `human_candidate(df, store_dir, task, config)`: the label store's annotations are aggregated
  per row (majority or Dawid-Skene) and checked against `min_agreement`; the consensus labels
  are labels with `label_source: human` and the consensus confidence. Labels are keyed by `_id`,
  so they survive rebuilds and new data; store records whose row is gone are counted, not used.
  Rows under `min_agreement` fail the build (`on_low_agreement: fail`) or are marked to be
  dropped (`drop`): they get no human label, and the label stage leaves them out at its end,
  with its other drops, so its row-aligned arrays stay aligned until then.
- `flywheel_labels(ctx, df)`: both, configured from the recipe, as the label stage calls it.

Which label each row keeps, and the per-source figures `applied`, `replaced` and `outranked_by`
in the metrics, come from the label stage's merge (`merge_labels`, `precedence_report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.columns import STRING
from builder.errors import DataError, one_of
from builder.labeling.human.agreement import aggregate
from builder.labeling.human.config import HumanConfig
from builder.labeling.human.store import LabelStore
from builder.labeling.merge import Candidate
from builder.sources.feedback import CORRECTION, PREDICTION

if TYPE_CHECKING:
    from builder.recipe.schema import TaskConfig
    from builder.stages import Context


@dataclass
class FlywheelLabels:
    """What the flywheel adds to the label stage: label candidates by source, the rows to drop
    for low annotator agreement, and metrics by source (`feedback`, `human`)."""

    candidates: dict[str, Candidate] = field(default_factory=dict)
    low_agreement: np.ndarray | None = None
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)


def _positions(values: pd.Series, lookup: pd.Series) -> np.ndarray:
    """For each value, its position in `lookup` (-1 when absent), by Arrow's hash kernel."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from builder.columns import to_arrow

    keys = pc.cast(to_arrow(values.astype(STRING)), pa.string())
    table = pc.cast(to_arrow(lookup.astype(STRING)), pa.string())
    found = pc.index_in(keys, value_set=table.combine_chunks())
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def feedback_candidate(df: pd.DataFrame, task: TaskConfig) -> tuple[Candidate | None, dict]:
    """Users' corrections (`_feedback_label`) as feedback labels, and their metrics (none
    without a feedback source)."""
    if CORRECTION not in df.columns:
        return None, {}
    corrections = df[CORRECTION].astype(STRING)
    unknown = corrections.notna() & ~corrections.isin(task.classes)
    if unknown.any():
        counts = corrections[unknown].value_counts().head(5)
        found = ", ".join(f"'{v}' ({n} rows)" for v, n in counts.items())
        raise DataError(
            f"feedback corrections: found {found}, expected one of {one_of(task.classes)}. "
            "Map the log's values with the feedback source's `label_map`.")
    metrics: dict[str, Any] = {"corrections": int(corrections.notna().sum())}
    if PREDICTION in df.columns:
        predicted = df[PREDICTION].astype(STRING)
        changed = corrections.notna() & (corrections != predicted).fillna(True)
        metrics["corrections_changing_prediction"] = int(changed.sum())
    return Candidate(corrections, 1.0), metrics


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


def human_candidate(df: pd.DataFrame, store_dir: Path, task: TaskConfig, config: HumanConfig,
                    display: str | None = None
                    ) -> tuple[Candidate | None, np.ndarray, dict[str, Any]]:
    """The label store's consensus per row of `df` (see the module docstring): the human
    candidate (None for an empty store), which rows fall under `min_agreement` with
    `on_low_agreement: drop`, and the metrics."""
    store = LabelStore(store_dir)
    batches = store.batches()
    metrics: dict[str, Any] = {"store": display or str(store_dir), "batches": [],
                               "annotations": 0}
    drop = np.zeros(len(df), dtype=bool)
    if not batches:
        return None, drop, metrics
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
        drop = _positions(df["_id"], low["_id"]) >= 0
        rows = rows[_positions(rows["_id"], low["_id"]) < 0]
    import pyarrow as pa

    from builder.columns import string_series, to_arrow

    where = _positions(df["_id"], rows["_id"])
    found = where >= 0
    taken = to_arrow(rows["label"].astype(STRING)).take(pa.array(where, mask=~found))
    scores = np.append(rows["confidence"].to_numpy(dtype="float64"), np.nan)
    candidate = Candidate(string_series(taken, df.index),
                          pd.Series(scores[where], index=df.index))  # where == -1 takes the NaN
    metrics["low_agreement"] = {"min_agreement": config.min_agreement,
                                "action": config.on_low_agreement, "rows": int(len(low)),
                                "dropped": int(drop.sum())}
    metrics.update(consensus.metrics)
    metrics["consensus_rows"] = metrics.pop("rows")
    return candidate, drop, metrics


def flywheel_labels(ctx: Context, df: pd.DataFrame) -> FlywheelLabels:
    """Feedback corrections and the human label store for the label stage's rows `df`,
    configured from `ctx.recipe` (`labeling.human`)."""
    task, config = ctx.recipe.task, ctx.recipe.labeling.human
    store_dir = config.store_dir(ctx.root, ctx.recipe.name)
    try:
        display = str(store_dir.resolve().relative_to(ctx.root.resolve()))
    except ValueError:
        display = str(store_dir)
    result = FlywheelLabels()
    feedback, result.metrics["feedback"] = feedback_candidate(df, task)
    if feedback is None:
        del result.metrics["feedback"]
    else:
        result.candidates["feedback"] = feedback
    human, result.low_agreement, result.metrics["human"] = human_candidate(
        df, store_dir, task, config, display)
    if human is not None:
        result.candidates["human"] = human
    return result
