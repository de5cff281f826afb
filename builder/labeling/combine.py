"""Pass 2 of the label stage: every label source of a partition (gold, weak, feedback, human)
merged by precedence; the final part when no model is trained, else a scratch part and the
keys that choose the model's training sample."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.columns import unit_hashes
from builder.labeling.config import PseudoConfig
from builder.labeling.finish import finish
from builder.labeling.gold import prepare
from builder.labeling.merge import Candidate, merge_labels, precedence_report
from builder.labeling.metrics import add_counts
from builder.labeling.weak import Weak, weak_columns
from builder.partitions import read_part, write_part
from builder.rows import ABSTAIN, ID, class_names

if TYPE_CHECKING:
    from builder.context import Context

#: Working columns of a scratch part between passes (never published: they start with `_`).
MERGED = {"label": "__label", "label_source": "__label_source",
          "label_confidence": "__label_confidence"}
DROPPED = "__dropped"


@dataclass
class Shared:
    """What the driver hands every `merge_part`: label model outputs and human consensus."""

    weak: Weak | None = None
    human: Any = None
    final: bool = True


def merge_part(name: str, ctx: Context, source: Path, scratch: Path, out: Path,
               shared: Shared) -> dict[str, Any]:
    """Weak, feedback and human labels of one partition, merged by precedence; the final part
    (no model) or a scratch part and the keys of its model-training rows."""
    from builder.labeling.human.merge import feedback_candidate, human_labels

    recipe = ctx.recipe
    config, task = recipe.labeling, recipe.task
    classes = task.classes
    prepared = prepare(read_part(source / name), ctx)
    df = prepared.df
    weak, weak_confidence, conflict = weak_columns(prepared, name, ctx, scratch, shared.weak)
    df["weak_label"] = class_names(weak, classes, df.index)
    df["weak_confidence"] = weak_confidence
    df["lf_conflict"] = conflict
    usable = (weak >= 0) & (np.nan_to_num(weak_confidence, nan=0.0) >= config.min_confidence)
    candidates = dict(prepared.candidates)
    candidates["weak"] = Candidate(class_names(np.where(usable, weak, ABSTAIN), classes, df.index),
                                   pd.Series(weak_confidence, index=df.index))
    counts: dict[str, Any] = {"rows_in": len(df), "gold_rows": int((prepared.gold >= 0).sum()),
                              "dev_rows": int(prepared.dev.sum())}
    feedback, counts["feedback"] = feedback_candidate(df, task)
    if feedback is not None:
        candidates["feedback"] = feedback
    dropped = np.zeros(len(df), dtype=bool)
    if shared.human is not None:
        candidates["human"], dropped = human_labels(df, shared.human)
        counts["human_dropped"] = int(dropped.sum())
    merged = merge_labels(candidates, df.index)
    counts["precedence"] = precedence_report(candidates, merged)
    if shared.final:
        out_df, final_counts = finish(prepared, merged, dropped, ctx)
        write_part(out_df, out / name)
        return add_counts(counts, final_counts)
    for column, working in MERGED.items():
        df[working] = merged[column]
    df[DROPPED] = dropped
    df["_gold_code"] = prepared.gold
    df["_evaluate"] = prepared.evaluate
    write_part(df, scratch / name)
    train = training_rows(df, ctx)
    pseudo = ctx.recipe.labeling.pseudo or PseudoConfig()
    counts["keys"] = unit_hashes(df[ID], ctx.step_seed("label", "pseudo"), "sample")
    counts["train"] = train["strong"] | train["confident_weak"]
    counts["training_rows"] = {k: int(v.sum()) for k, v in train.items()}
    counts["sample_rows"] = pseudo.sample_rows
    return counts


def training_rows(df: pd.DataFrame, ctx: Context) -> dict[str, np.ndarray]:
    """The rows the model learns from: gold, human and feedback labels, and weak labels at
    least `train_min_confidence` (never `_gold`, nor rows the stage will drop)."""
    config = ctx.recipe.labeling.pseudo or PseudoConfig()
    source = df[MERGED["label_source"]].astype(object).fillna("").to_numpy()
    dropped = df[DROPPED].to_numpy()
    strong = np.isin(source, ["gold", "human", "feedback"]) & ~dropped
    confident_weak = ((source == "weak") & (np.nan_to_num(df["weak_confidence"].to_numpy(),
                                                          nan=0.0)
                                            >= config.train_min_confidence) & ~dropped)
    return {"strong": strong, "confident_weak": confident_weak}
