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
- The label stage runs the human part in pieces, partition by partition: `store_annotations`
  and `human_consensus` in the driver (the store is small), `found_ids` and `human_labels` per
  partition.

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
from builder.rows import FEEDBACK_CORRECTION, FEEDBACK_PREDICTION

if TYPE_CHECKING:
    from builder.recipe.schema import TaskConfig
    from builder.context import Context


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
    if FEEDBACK_CORRECTION not in df.columns:
        return None, {}
    corrections = df[FEEDBACK_CORRECTION].astype(STRING)
    unknown = corrections.notna() & ~corrections.isin(task.classes)
    if unknown.any():
        counts = corrections[unknown].value_counts().head(5)
        found = ", ".join(f"'{v}' ({n} rows)" for v, n in counts.items())
        raise DataError(
            f"feedback corrections: found {found}, expected one of {one_of(task.classes)}. "
            "Map the log's values with the feedback source's `label_map`.")
    metrics: dict[str, Any] = {"corrections": int(corrections.notna().sum())}
    if FEEDBACK_PREDICTION in df.columns:
        predicted = df[FEEDBACK_PREDICTION].astype(STRING)
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


@dataclass
class HumanConsensus:
    """The label store's consensus for the rows of a build: accepted labels by `_id` (`rows`:
    `_id`, `label`, `confidence`), the ids to drop for low agreement, and the metrics."""

    rows: pd.DataFrame
    low_ids: pd.Series
    metrics: dict[str, Any]


def store_annotations(store_dir: Path, task: TaskConfig,
                      display: str | None = None) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """The store's current annotations (None for an empty store), checked against the classes,
    and the metrics about its batches."""
    store = LabelStore(store_dir)
    batches = store.batches()
    metrics: dict[str, Any] = {"store": display or str(store_dir), "batches": [],
                               "annotations": 0}
    if not batches:
        return None, metrics
    annotations = store.annotations(batches)
    check_store_classes(annotations, list(task.classes))
    metrics["batches"] = [{
        "file": b.path.name, "tool": b.header.get("tool"), "records": b.header.get("records"),
        "source_file": b.header.get("source_file"), "imported_by": b.header.get("imported_by"),
        "imported_at": b.header.get("imported_at"),
    } for b in batches]
    return annotations, metrics


def found_ids(ids: pd.Series, wanted: pd.Series) -> np.ndarray:
    """Which of `wanted` occur among `ids` (one partition's rows)."""
    return _positions(wanted, ids) >= 0


def human_consensus(annotations: pd.DataFrame, present: np.ndarray, metrics: dict[str, Any],
                    task: TaskConfig, config: HumanConfig) -> HumanConsensus:
    """Aggregate the annotations of rows the build has (`present`, per annotation) and apply
    `min_agreement`: fail, or mark the rows to drop."""
    metrics = {**metrics, "annotations": int(present.sum()),
               "annotations_for_missing_rows": int((~present).sum())}
    consensus = aggregate(annotations[present], list(task.classes), config.aggregate)
    rows = consensus.rows
    low = rows[rows["agreement"].notna() & (rows["agreement"] < (config.min_agreement or 0))]
    if len(low) and config.on_low_agreement == "fail":
        raise low_agreement_error(low, config.min_agreement)
    if len(low):
        rows = rows[_positions(rows["_id"], low["_id"]) < 0]
    metrics["low_agreement"] = {"min_agreement": config.min_agreement,
                                "action": config.on_low_agreement, "rows": int(len(low)),
                                "dropped": 0}
    metrics.update(consensus.metrics)
    metrics["consensus_rows"] = metrics.pop("rows")
    return HumanConsensus(rows[["_id", "label", "confidence"]].reset_index(drop=True),
                          low["_id"].reset_index(drop=True), metrics)


def human_labels(df: pd.DataFrame, consensus: HumanConsensus) -> tuple[Candidate, np.ndarray]:
    """The consensus labels of `df`'s rows (one partition) and which rows to drop for low
    agreement."""
    import pyarrow as pa

    from builder.columns import string_series, to_arrow

    drop = (_positions(df["_id"], consensus.low_ids) >= 0 if len(consensus.low_ids)
            else np.zeros(len(df), dtype=bool))
    rows = consensus.rows
    where = _positions(df["_id"], rows["_id"])
    found = where >= 0
    taken = to_arrow(rows["label"].astype(STRING)).take(pa.array(where, mask=~found))
    scores = np.append(rows["confidence"].to_numpy(dtype="float64"), np.nan)
    return (Candidate(string_series(taken, df.index),
                      pd.Series(scores[where], index=df.index)),  # where == -1 takes the NaN
            drop)


def human_candidate(df: pd.DataFrame, store_dir: Path, task: TaskConfig, config: HumanConfig,
                    display: str | None = None
                    ) -> tuple[Candidate | None, np.ndarray, dict[str, Any]]:
    """The label store's consensus per row of `df` (see the module docstring): the human
    candidate (None for an empty store), which rows fall under `min_agreement` with
    `on_low_agreement: drop`, and the metrics. (The label stage does the same in parts:
    `store_annotations`, `found_ids` per partition, `human_consensus`, `human_labels`.)"""
    annotations, metrics = store_annotations(store_dir, task, display)
    if annotations is None:
        return None, np.zeros(len(df), dtype=bool), metrics
    present = _positions(annotations["_id"], df["_id"]) >= 0
    consensus = human_consensus(annotations, present, metrics, task, config)
    candidate, drop = human_labels(df, consensus)
    consensus.metrics["low_agreement"]["dropped"] = int(drop.sum())
    return candidate, drop, consensus.metrics
