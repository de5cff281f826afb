"""Suspected label errors (`labeling.label_errors`): confident learning on out-of-fold class
probabilities flags them, `review` clears their label, `drop` drops them; humans outrank models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.rows import ABSTAIN, ID, LABEL_SOURCES, class_codes

if TYPE_CHECKING:
    from builder.context import Context


def flag_label_errors(ctx: Context, df: pd.DataFrame, merged: pd.DataFrame,
                      probabilities: np.ndarray, gold: np.ndarray, dropped: np.ndarray,
                      thresholds: np.ndarray | None) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Mark suspected label errors (`suspect_label`) among the rows not already `dropped`;
    `review` also clears their label, `drop` returns them as rows to drop.

    Humans outrank models: a human label is flagged like any other, but never cleared nor
    dropped (counted as `human_kept` in the metrics)."""
    from builder.labeling.confident import suspects

    config = ctx.recipe.labeling.label_errors
    classes = ctx.recipe.task.classes
    given = np.where(dropped, ABSTAIN, class_codes(merged["label"], classes))
    suspect, suggested = suspects(given, probabilities, thresholds)
    df["suspect_label"] = suspect
    top = probabilities[suspect].max(axis=1) if suspect.any() else np.zeros(0)
    order = np.argsort(-np.nan_to_num(top), kind="stable")
    rows = np.flatnonzero(suspect)[order][: config.max_listed]
    sources = merged["label_source"].astype(object).fillna("").to_numpy()
    listed = [{"_id": str(df[ID].iloc[row]), "label": classes[given[row]],
               "label_source": str(sources[row]), "suggested": classes[suggested[row]],
               "probability": round(float(probabilities[row, suggested[row]]), 4),
               "_order": float(np.nan_to_num(top[order][i]))}
              for i, row in enumerate(rows)]
    judged = suspect & (gold >= 0)
    human = sources == "human"
    acted_on = suspect & ~human
    to_drop = acted_on if config.action == "drop" else np.zeros(len(df), dtype=bool)
    found = {
        "count": int(suspect.sum()),
        "by_source": {s: int((suspect & (sources == s)).sum()) for s in LABEL_SOURCES},
        "listed": listed,
        "judged": np.array([judged.sum(), (given[judged] != gold[judged]).sum()], np.int64),
        "human_kept": int((suspect & human).sum()),
        "dropped": int(to_drop.sum()),
    }
    if config.action == "review":
        cleared = pd.Series(acted_on, index=merged.index)
        merged = merged.copy()
        merged.loc[cleared, "label"] = pd.NA
        merged.loc[cleared, "label_source"] = pd.NA
        merged.loc[cleared, "label_confidence"] = np.nan
    return merged, to_drop, found


def label_errors_metrics(ctx: Context, found: dict[str, Any]) -> dict[str, Any]:
    """The `label_errors` metrics from the counts summed over partitions: the most probable
    suspects listed first."""
    config = ctx.recipe.labeling.label_errors
    listed = sorted(found.get("listed", []), key=lambda r: -r["_order"])[: config.max_listed]
    result = {
        "action": config.action, "count": int(found["count"]),
        "by_source": {s: int(n) for s, n in found["by_source"].items() if n},
        "listed": [{k: v for k, v in r.items() if k != "_order"} for r in listed],
    }
    judged, wrong = (int(x) for x in found["judged"])
    if judged and ctx.recipe.labeling.gold.use == "evaluate":
        result["precision_against_gold"] = round(wrong / judged, 4)
    result["human_kept"] = int(found["human_kept"])
    result["dropped"] = int(found["dropped"])
    return result
