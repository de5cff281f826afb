"""The last pass of a partition: model columns, suspected label errors and pseudo-labels (with a
model), then the final label columns and the abstain policy (`labeling.unlabeled`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.columns import STRING
from builder.labeling.label_errors import flag_label_errors
from builder.labeling.metrics import accuracy_counts
from builder.rows import ABSTAIN, LABEL_CONFIDENCE, LABEL_SOURCE, class_codes, class_names

if TYPE_CHECKING:
    from builder.context import Context
    from builder.labeling.gold import Prepared


def predictions(probabilities: np.ndarray) -> np.ndarray:
    """The most probable class per row, `ABSTAIN` where the model gave none."""
    return np.where(np.isnan(probabilities).any(axis=1), ABSTAIN,
                    np.nan_to_num(probabilities, nan=-1).argmax(axis=1))


def finish(prepared: Prepared, merged: pd.DataFrame, dropped: np.ndarray, ctx: Context,
           probabilities: np.ndarray | None = None,
           thresholds: np.ndarray | None = None,
           acceptance: float | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Model columns, suspected label errors and pseudo-labels (with a model: those whose
    confidence reaches `acceptance`, see `pseudo.precision_threshold`), then the final label
    columns and the abstain policy: the partition's output rows and its counts. Rows left
    without a label are dropped unless `unlabeled: keep`."""
    recipe = ctx.recipe
    config, task = recipe.labeling, recipe.task
    classes = task.classes
    df, gold_codes, evaluate = prepared.df, prepared.gold, prepared.evaluate
    counts: dict[str, Any] = {}
    df["model_label"] = pd.Series(pd.NA, index=df.index, dtype=STRING)
    df["model_confidence"] = np.nan
    df["suspect_label"] = False
    if probabilities is not None:
        predicted = predictions(probabilities)
        model_confidence = np.where(predicted >= 0, np.nanmax(
            np.nan_to_num(probabilities, nan=-1), axis=1), np.nan)
        df["model_label"] = class_names(predicted, classes, df.index)
        df["model_confidence"] = model_confidence
        pseudo: dict[str, Any] = {}
        if config.label_errors is not None:
            merged, suspects_to_drop, counts["label_errors"] = flag_label_errors(
                ctx, df, merged, probabilities, gold_codes, dropped, thresholds)
            dropped = dropped | suspects_to_drop
        if config.unlabeled == "pseudo":
            # Pseudo-labels come last in precedence: they only fill rows left without a label
            # (and never rows sent to review).
            from builder.labeling.pseudo import accepted_by

            accepted = ((predicted >= 0) & merged["label"].isna().to_numpy()
                        & ~df["suspect_label"].to_numpy() & ~dropped
                        & accepted_by(model_confidence, acceptance))
            merged = merged.copy()
            merged.loc[accepted, "label"] = class_names(predicted, classes, df.index)[accepted]
            merged.loc[accepted, "label_source"] = "pseudo"
            merged.loc[accepted, "label_confidence"] = model_confidence[accepted]
            pseudo["accepted"] = int(accepted.sum())
            pseudo["accepted_accuracy"] = accuracy_counts(
                np.where(accepted, predicted, ABSTAIN),
                np.where(evaluate & accepted, gold_codes, ABSTAIN))
        pseudo["model_accuracy"] = accuracy_counts(predicted,
                                                   np.where(evaluate, gold_codes, ABSTAIN))
        counts["pseudo"] = pseudo
    df[task.label] = merged["label"].astype(STRING)
    df[LABEL_SOURCE] = merged["label_source"].astype(STRING)
    df[LABEL_CONFIDENCE] = merged["label_confidence"].astype("float64")
    has_label = df[task.label].notna().to_numpy()
    final = class_codes(df[task.label], classes)
    counts["final_accuracy"] = accuracy_counts(final, np.where(evaluate, gold_codes, ABSTAIN))
    # Only `unlabeled: keep` publishes rows without a label (`pseudo` drops those it could not
    # label with the target precision).
    unlabeled_dropped = ~has_label & ~dropped if config.unlabeled != "keep" else \
        np.zeros(len(df), dtype=bool)
    keep = ~(dropped | unlabeled_dropped)
    if not keep.all():
        df = df[keep].reset_index(drop=True)
    sources = df[LABEL_SOURCE].value_counts()
    kept_codes = final[keep]
    counts.update({
        "rows_out": len(df),
        "unlabeled_dropped": int(unlabeled_dropped.sum()),
        "unlabeled_kept": int((kept_codes < 0).sum()),
        "label_sources": {str(k): int(v) for k, v in sources.items()},
        "classes": np.bincount(kept_codes[kept_codes >= 0], minlength=len(classes)),
    })
    return df, counts
