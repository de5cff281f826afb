"""The review queue: which rows of `labeled/` go to human annotators next, picked by a strategy
of `QUEUE_STRATEGIES` (`builder.labeling.human.strategies`, one module each).

Ties and the audit sample are ordered by a keyed hash of `_id` and the seed, so the same data,
seed and budget always give the same rows, and a row never moves in the order when other rows
are added. Rows that have a human consensus label are never sent again; rows whose annotators
tied are, since they need another opinion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.errors import DataError, did_you_mean, one_of
from builder.labeling.human.config import QUEUE_STRATEGIES
from builder.labeling.human.strategies.base import Strategy
from builder.rows import FEEDBACK_PREDICTION, FEEDBACK_SCORE

if TYPE_CHECKING:
    from builder.recipe.schema import TaskConfig

#: What makes the label stage fill a column a strategy reads (for the missing-column message).
WHO_WRITES = {
    "lf_conflict": "the label stage writes when labeling functions are declared "
                   "(labeling.functions)",
    "weak_label": "the label stage writes when labeling functions are declared "
                  "(labeling.functions)",
    "model_label": "the label stage writes when model-assisted labels are declared "
                   "(labeling.pseudo)",
}


@dataclass
class Queue:
    """The picked rows in order, with what each strategy saw."""

    rows: pd.DataFrame  # the picked rows of labeled.parquet plus prediction, score, priority
    strategy: str
    candidates: int
    seed: int


def check_columns(df: pd.DataFrame, strategy: Strategy, source: str) -> None:
    """A clear error when a strategy's columns are missing from `labeled/`."""
    missing = [c for c in ["_id", *strategy.columns] if c not in df.columns]
    if missing:
        why = "; ".join(f"'{c}' is what {WHO_WRITES[c]}" for c in missing if c in WHO_WRITES)
        raise DataError(
            f"{source}: the '{strategy.name}' strategy needs the column(s) "
            f"{', '.join(repr(c) for c in missing)}, which this file does not have"
            + (f" ({why})" if why else "") + ". Pick another strategy (--strategy "
            "least_confident or audit), or declare what makes them and rebuild.")


def check_declared(strategy: str, labeling: Any, recipe: str) -> None:
    """A clear error when recipe `recipe` declares nothing that feeds `strategy`: the label stage
    always writes `lf_conflict`, `weak_label` and `model_label`, but they stay empty without
    labeling functions or model-assisted labels."""
    needs = get_strategy(strategy).undeclared(labeling)
    if needs:
        raise DataError(
            f"recipe '{recipe}': the '{strategy}' strategy needs {' and '.join(needs)}, which "
            "the recipe does not declare. Pick another strategy (--strategy least_confident or "
            "audit), or declare them and rebuild.")


def predictions(df: pd.DataFrame, task: TaskConfig) -> tuple[pd.Series, pd.Series]:
    """The machine's current guess and its score per row (for pre-annotations): the row's
    label unless it is gold, else the label model's, the pseudo-labeler's, the deployed model's."""
    label = pd.Series(pd.NA, index=df.index, dtype="string")
    score = pd.Series(np.nan, index=df.index, dtype="float64")
    pairs = []
    if task.label in df.columns and "label_source" in df.columns:
        guessed = df["label_source"].astype("string").isin(["weak", "pseudo", "feedback"])
        pairs.append((df[task.label].where(guessed), df.get("label_confidence")))
    pairs += [(df.get("weak_label"), df.get("weak_confidence")),
              (df.get("model_label"), df.get("model_confidence")),
              (df.get(FEEDBACK_PREDICTION), df.get(FEEDBACK_SCORE))]
    for labels, scores in pairs:
        if labels is None:
            continue
        fill = label.isna() & labels.notna()
        label = label.mask(fill, labels.astype("string"))
        if scores is not None:
            score = score.mask(fill, pd.to_numeric(scores, errors="coerce"))
        else:
            score = score.mask(fill, np.nan)
    return label, score


def get_strategy(name: str) -> Strategy:
    """The review-queue strategy called `name`; a clear error otherwise."""
    names = QUEUE_STRATEGIES.names()
    if name not in names:
        raise DataError(f"unknown review strategy '{name}'; expected {one_of(names)}."
                        + did_you_mean(name, names))
    return QUEUE_STRATEGIES.get(name)()


def open_rows(df: pd.DataFrame, exclude: set[str]) -> pd.Series:
    """Rows any strategy may pick: not in `exclude` and without a human label."""
    sources = df["label_source"].astype("string")
    return ~df["_id"].astype("string").isin(exclude) & (sources != "human").fillna(True)


def select(df: pd.DataFrame, task: TaskConfig, strategy: str, budget: int, seed: int,
           exclude: set[str], source: str = "labeled.parquet") -> Queue:
    """Pick up to `budget` rows for humans, in the order they should be labeled."""
    picker = get_strategy(strategy)
    check_columns(df, picker, source)
    positions = np.flatnonzero(picker.candidates(df, open_rows(df, exclude)).to_numpy())
    order, priorities = picker.pick(df, positions, task, budget, seed)
    picked = df.iloc[positions[order]].assign(priority=priorities)
    label, score = predictions(picked, task)
    if not picker.pre_annotate:
        label = pd.Series(pd.NA, index=picked.index, dtype="string")
        score = pd.Series(np.nan, index=picked.index, dtype="float64")
    picked = picked.assign(prediction=label.to_numpy(), score=score.to_numpy())
    return Queue(rows=picked.reset_index(drop=True), strategy=strategy,
                 candidates=int(len(positions)), seed=seed)
