"""The review queue: which rows of `labeled/` go to human annotators next.

| strategy | candidates | order |
|---|---|---|
| `least_confident` | rows without a gold or human label | lowest confidence first (`label_confidence`, else `weak_confidence`, `model_confidence`, the deployed model's feedback score; no confidence at all counts as 0) |
| `lf_conflict` | rows where labeling functions voted for different classes (`lf_conflict`) | lowest `weak_confidence` first |
| `disagreement` | rows where the label model and the pseudo-label model disagree (`weak_label` != `model_label`) | most confident disagreements first (sum of both confidences): likely label errors |
| `audit` | every row without a human label, gold included | a stratified random sample over (label source, class), in proportion to their sizes and at least one per stratum while the budget allows |

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

from builder.errors import DataError

if TYPE_CHECKING:
    from builder.recipe.schema import TaskConfig

#: Columns each strategy needs beyond `_id` (the contract of the label stage, see BRIEFING).
REQUIRED = {
    "least_confident": ["label_confidence", "label_source"],
    "lf_conflict": ["lf_conflict", "label_source"],
    "disagreement": ["weak_label", "model_label", "label_source"],
    "audit": ["label_source"],
}
WHO_WRITES = {
    "lf_conflict": "the label stage writes when labeling functions are declared "
                   "(labeling.functions)",
    "weak_label": "the label stage writes when labeling functions are declared "
                  "(labeling.functions)",
    "model_label": "the label stage writes when model-assisted labels are declared "
                   "(labeling.pseudo)",
}
#: Label sources whose rows are not sent for labeling by the uncertainty strategies.
SETTLED = ("gold", "human")


@dataclass
class Queue:
    """The picked rows in order, with what each strategy saw."""

    rows: pd.DataFrame  # the picked rows of labeled.parquet plus prediction, score, priority
    strategy: str
    candidates: int
    seed: int


def check_columns(df: pd.DataFrame, strategy: str, source: str) -> None:
    """A clear error when a strategy's columns are missing from `labeled/`."""
    missing = [c for c in ["_id", *REQUIRED[strategy]] if c not in df.columns]
    if missing:
        why = "; ".join(f"'{c}' is what {WHO_WRITES[c]}" for c in missing if c in WHO_WRITES)
        raise DataError(
            f"{source}: the '{strategy}' strategy needs the column(s) "
            f"{', '.join(repr(c) for c in missing)}, which this file does not have"
            + (f" ({why})" if why else "") + ". Pick another strategy (--strategy "
            "least_confident or audit), or declare what makes them and rebuild.")


def check_declared(strategy: str, labeling: Any, recipe: str) -> None:
    """A clear error when recipe `recipe` declares nothing that feeds `strategy`: the label stage
    always writes `lf_conflict`, `weak_label` and `model_label`, but they stay empty without
    labeling functions or model-assisted labels."""
    needs = []
    if strategy in ("lf_conflict", "disagreement") and not labeling.functions:
        needs.append("labeling functions (labeling.functions)")
    if strategy == "disagreement" and labeling.pseudo is None and labeling.label_errors is None:
        needs.append("model-assisted labels (labeling.pseudo)")
    if needs:
        raise DataError(
            f"recipe '{recipe}': the '{strategy}' strategy needs {' and '.join(needs)}, which "
            "the recipe does not declare. Pick another strategy (--strategy least_confident or "
            "audit), or declare them and rebuild.")


def tie_order(ids: pd.Series, seed: int) -> np.ndarray:
    """A number in [0, 1) per row from a keyed hash of its id: a stable, seeded tie-break."""
    from builder.columns import unit_hashes

    return unit_hashes(ids, seed, "split")


def confidence_of(df: pd.DataFrame) -> pd.Series:
    """The best confidence known for each row's current guess; 0 where there is none."""
    confidence = pd.Series(np.nan, index=df.index, dtype="float64")
    for column in ("label_confidence", "weak_confidence", "model_confidence", "_feedback_score"):
        if column in df.columns:
            confidence = confidence.fillna(pd.to_numeric(df[column], errors="coerce"))
    return confidence.fillna(0.0)


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
              (df.get("_feedback_prediction"), df.get("_feedback_score"))]
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


def candidates(df: pd.DataFrame, strategy: str, exclude: set[str]) -> pd.Series:
    """Which rows a strategy may pick: a boolean mask."""
    sources = df["label_source"].astype("string")
    open_rows = ~df["_id"].astype("string").isin(exclude) & (sources != "human").fillna(True)
    if strategy == "audit":
        return open_rows
    open_rows &= ~sources.isin(SETTLED).fillna(False)
    if strategy == "lf_conflict":
        return open_rows & df["lf_conflict"].fillna(False).astype(bool)
    if strategy == "disagreement":
        weak, model = df["weak_label"].astype("string"), df["model_label"].astype("string")
        return open_rows & (weak.notna() & model.notna() & (weak != model)).fillna(False)
    return open_rows


def priority(df: pd.DataFrame, strategy: str) -> pd.Series:
    """Lower goes first."""
    if strategy == "least_confident":
        return confidence_of(df)
    if strategy == "lf_conflict":
        if "weak_confidence" in df.columns:
            return pd.to_numeric(df["weak_confidence"], errors="coerce").fillna(0.0)
        return pd.Series(0.0, index=df.index)
    if strategy == "disagreement":
        total = pd.Series(0.0, index=df.index)
        for column in ("weak_confidence", "model_confidence"):
            if column in df.columns:
                total += pd.to_numeric(df[column], errors="coerce").fillna(0.0)
        return -total
    return pd.Series(0.0, index=df.index)


def strata_codes(df: pd.DataFrame, task: TaskConfig) -> np.ndarray:
    """An integer per row for its (label source, class) stratum, numbered in sorted order."""
    sources = pd.factorize(df["label_source"].astype("string").fillna("unlabeled"), sort=True)[0]
    labels = (pd.factorize(df[task.label].astype("string").fillna("(none)"), sort=True)[0]
              if task.label in df.columns else np.zeros(len(df), dtype=np.int64))
    return pd.factorize(sources * (labels.max(initial=0) + 1) + labels, sort=True)[0]


def stratified_positions(codes: np.ndarray, ties: np.ndarray, budget: int) -> np.ndarray:
    """`budget` row positions spread over strata in proportion to their sizes (largest
    remainders), at least one per stratum while the budget allows; random within a stratum by
    `ties`, and returned in `ties` order."""
    sizes = np.bincount(codes)
    budget = min(budget, int(sizes.sum()))
    if budget == 0:
        return np.array([], dtype=np.int64)
    quota = sizes / sizes.sum() * budget
    share = np.floor(quota).astype(np.int64)
    if budget >= len(sizes):
        share = np.maximum(share, 1)
    share = np.minimum(share, sizes)
    while share.sum() > budget:  # the minimum of one per stratum overshot: trim the largest
        share[share.argmax()] -= 1
    for stratum in np.argsort(-(quota - np.floor(quota)), kind="stable").tolist() * 2:
        if share.sum() >= budget:
            break
        if share[stratum] < sizes[stratum]:
            share[stratum] += 1
    order = np.lexsort((ties, codes))
    starts = np.cumsum(sizes) - sizes
    rank = np.arange(len(order)) - starts[codes[order]]
    chosen = order[rank < share[codes[order]]]
    return chosen[np.argsort(ties[chosen], kind="stable")]


def lowest(priorities: np.ndarray, count: int) -> np.ndarray:
    """Positions of every value at or under the `count`-th smallest (ties at the edge kept)."""
    if count >= len(priorities):
        return np.arange(len(priorities))
    kth = np.partition(priorities, count - 1)[count - 1]
    return np.flatnonzero(priorities <= kth)


def select(df: pd.DataFrame, task: TaskConfig, strategy: str, budget: int, seed: int,
           exclude: set[str], source: str = "labeled.parquet") -> Queue:
    """Pick up to `budget` rows for humans, in the order they should be labeled."""
    if strategy not in REQUIRED:
        raise DataError(f"unknown review strategy '{strategy}'; expected one of "
                        f"{', '.join(REQUIRED)}.")
    check_columns(df, strategy, source)
    positions = np.flatnonzero(candidates(df, strategy, exclude).to_numpy())
    if strategy == "audit":
        columns = [c for c in ("_id", "label_source", task.label) if c in df.columns]
        pool = df[columns].iloc[positions]
        chosen = stratified_positions(strata_codes(pool, task), tie_order(pool["_id"], seed),
                                      budget)
        picked = df.iloc[positions[chosen]].assign(priority=0.0)
    else:
        scores = priority(df, strategy).to_numpy(dtype="float64")[positions]
        near = lowest(scores, budget)  # sort only the rows that can make the cut
        ties = tie_order(df["_id"].iloc[positions[near]], seed)
        order = near[np.lexsort((ties, scores[near]))][:budget]
        picked = df.iloc[positions[order]].assign(priority=scores[order])
    label, score = predictions(picked, task)
    if strategy == "audit":  # no pre-annotation: auditors should not be anchored on our guess
        label = pd.Series(pd.NA, index=picked.index, dtype="string")
        score = pd.Series(np.nan, index=picked.index, dtype="float64")
    picked = picked.assign(prediction=label.to_numpy(), score=score.to_numpy())
    return Queue(rows=picked.reset_index(drop=True), strategy=strategy,
                 candidates=int(len(positions)), seed=seed)
