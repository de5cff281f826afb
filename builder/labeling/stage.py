"""The label stage: give every row a label, a `label_source` and a `label_confidence`.

Steps, each optional:
1. gold labels from the gold column: labels (`gold.use: label`) or kept for evaluation only
   under `_gold` (`gold.use: evaluate`), never a feature and never published;
2. labeling functions -> int8 label matrix -> diagnostics and a label model -> weak labels;
3. human and feedback labels from the flywheel (`builder.labeling.human.merge`), then one
   label per row by precedence (human > gold > feedback > weak > pseudo, `merge_labels`);
4. out-of-fold model predictions (`pseudo`) trained on gold, human, feedback and confident weak
   labels, used for pseudo-labels (only rows still without a label) and to find suspected label
   errors (`label_errors`). Humans outrank models: a human label that confident learning
   suspects is flagged (`suspect_label`, listed in the metrics) but never cleared for review
   nor dropped;
5. the abstain policy (`unlabeled: drop|keep|pseudo`). Rows are dropped only here, at the end,
   all at once: unlabeled rows (`unlabeled: drop`), suspected label errors
   (`label_errors.action: drop`) and rows whose annotators disagree
   (`labeling.human.on_low_agreement: drop`).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder import artifacts
from builder.columns import STRING
from builder.errors import DataError, one_of
from builder.labeling.config import GOLD_COLUMN, PseudoConfig
from builder.labeling.merge import (DETAIL_COLUMNS, PRECEDENCE, Candidate, merge_labels,
                                    precedence_report)
from builder.sources.ingest import ARTIFACT as INPUT

if TYPE_CHECKING:
    from builder.stages import Context

ARTIFACT = "labeled.parquet"
LABEL_SOURCES = PRECEDENCE


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


def codes(labels: pd.Series, classes: list[str]) -> np.ndarray:
    """Class names -> class indices (-1 where missing)."""
    return pd.Categorical(labels.astype(object).where(labels.notna(), None),
                          categories=classes).codes.astype(np.int64)


def names(indices: np.ndarray, classes: list[str], index: pd.Index) -> pd.Series:
    """Class indices (-1 = none) -> class names as `string[pyarrow]`."""
    values = np.asarray(classes, dtype=object)[np.maximum(indices, 0)]
    return pd.Series(np.where(indices >= 0, values, None), index=index, dtype=STRING)


def in_fraction(ids: pd.Series, fraction: float, seed: int, salt: str) -> np.ndarray:
    """Whether each id falls in a stable pseudo-random `fraction` of ids."""
    key = hashlib.sha256(f"{salt}/{seed}".encode()).hexdigest()[:16]
    hashes = pd.util.hash_pandas_object(ids.astype(STRING), index=False, hash_key=key).to_numpy()
    return (hashes >> np.uint64(11)).astype(np.float64) / float(1 << 53) < fraction


def accuracy(predicted: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """Accuracy against known truth, on rows with a prediction and on all rows with truth."""
    known = truth >= 0
    made = known & (predicted >= 0)
    right = made & (predicted == truth)
    return {
        "rows": int(known.sum()),
        "labeled": int(made.sum()),
        "accuracy_labeled": round(right.sum() / made.sum(), 4) if made.any() else None,
        "accuracy_all": round(right.sum() / known.sum(), 4) if known.any() else None,
    }


def weak_labels(ctx: Context, df: pd.DataFrame, gold: np.ndarray, dev: np.ndarray,
                evaluate: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Labeling functions and label model: (labels, confidence, conflict, metrics)."""
    from builder.labeling.analysis import analyze
    from builder.labeling.apply import build_functions, label_matrix
    from builder.labeling.models import Patterns, make_model

    config, task = ctx.recipe.labeling, ctx.recipe.task
    classes = task.classes
    functions = build_functions(config.functions, classes, task.text, ctx.root)
    matrix = label_matrix(df, functions, config.batch_size)
    patterns = Patterns.of(matrix, len(classes))
    names_ = [f.name for f in functions]
    kinds = [f.type_name + (" (row by row)" if f.slow else "") for f in functions]
    metrics = analyze(patterns, names_, kinds, classes, np.where(evaluate, gold, -1))
    model = make_model(config.model, len(classes))
    if config.model.type == "weighted":
        dev_labels = np.where(dev, gold, -1)
        if not (dev_labels >= 0).any():
            raise DataError("labeling.model: the weighted model learns from gold dev rows, but "
                            "no row has a gold label in the dev set; expected gold labels.")
        model.fit(matrix, dev_labels)
        labels, probabilities = model.predict_patterns(patterns)
    else:
        model.fit_patterns(patterns)
        labels, probabilities = model.predict_patterns(patterns)
    confidence = np.where(labels >= 0, np.nanmax(np.nan_to_num(probabilities, nan=-1), axis=1),
                          np.nan)
    distinct = np.zeros(len(df), dtype=np.int64)
    for k in range(len(classes)):
        distinct += (matrix == k).any(axis=1)
    described = model.describe()
    for key in ("learned_accuracy", "dev_accuracy", "weights"):
        for name, value in zip(names_, described.pop(key, None) or []):
            metrics["functions"][name][key] = value
    described.pop("dev_votes", None)
    metrics["model"] = {"type": config.model.type, **described}
    from builder.labeling.models import MajorityModel

    majority = MajorityModel(len(classes))
    majority.fit_patterns(patterns)
    majority_labels, _ = majority.predict_patterns(patterns)
    metrics["weak_accuracy"] = accuracy(labels, np.where(evaluate, gold, -1))
    metrics["majority_accuracy"] = accuracy(majority_labels, np.where(evaluate, gold, -1))
    return labels, confidence, distinct >= 2, metrics


def model_predictions(ctx: Context, df: pd.DataFrame, merged: pd.DataFrame,
                      weak_confidence: np.ndarray, dropped: np.ndarray) -> tuple[np.ndarray, dict]:
    """Out-of-fold probabilities of a model trained on gold, human, feedback and confident
    weak labels (never on `_gold`, nor on rows the stage will drop)."""
    from builder.labeling.pseudo import out_of_fold

    labeling, task = ctx.recipe.labeling, ctx.recipe.task
    config = labeling.pseudo or PseudoConfig()
    classes = task.classes
    source = merged["label_source"].astype(object).fillna("").to_numpy()
    strong = np.isin(source, ["gold", "human", "feedback"])
    confident_weak = (source == "weak") & (np.nan_to_num(weak_confidence, nan=0.0)
                                           >= config.train_min_confidence)
    strong &= ~dropped
    confident_weak &= ~dropped
    train = strong | confident_weak
    targets = codes(merged["label"], classes)
    excluded = {task.label, labeling.gold_column(task), "label_source", "label_confidence",
                *DETAIL_COLUMNS}
    probabilities = out_of_fold(df, train, targets, len(classes), config, task,
                                ctx.step_seed("label", "pseudo"), excluded)
    trained = train & ~np.isnan(probabilities).any(axis=1)
    predicted = np.where(np.isnan(probabilities).any(axis=1), -1,
                         np.nan_to_num(probabilities, nan=-1).argmax(axis=1))
    metrics = {
        "type": config.type, "folds": config.folds,
        "training_rows": {"strong": int(strong.sum()), "confident_weak": int(confident_weak.sum())},
        "out_of_fold_accuracy_on_training_labels": accuracy(
            np.where(trained, predicted, -1), np.where(trained, targets, -1))["accuracy_labeled"],
    }
    if not train.any() or len(np.unique(targets[train])) < 2:
        metrics["warning"] = "fewer than two classes to train on: no model predictions"
    return probabilities, metrics


def run(ctx: Context) -> dict[str, Any]:
    """The label stage: ingested rows -> `labeled.parquet` with labels and their provenance."""
    recipe = ctx.recipe
    task, config = recipe.task, recipe.labeling
    classes = task.classes
    df = artifacts.read_parquet(ctx.artifact(INPUT), "ingest")
    rows_in = len(df)
    metrics: dict[str, Any] = {"rows_in": rows_in}

    # 1. Gold labels: as labels, or only for evaluation under `_gold`.
    gold_column = config.gold_column(task)
    gold = gold_labels(df, gold_column, classes)
    gold_codes = codes(gold, classes)
    has_gold = gold_codes >= 0
    if gold_column in df.columns:
        df = df.drop(columns=[gold_column])
    candidates: dict[str, Candidate] = {}
    if config.gold.use == "evaluate":
        df[GOLD_COLUMN] = gold
        dev = has_gold & in_fraction(df["_id"], config.gold.dev_fraction, recipe.seed, "dev")
        evaluate = has_gold & ~dev
    else:
        candidates["gold"] = Candidate(gold, 1.0)
        dev = evaluate = has_gold
    metrics["gold"] = {"column": gold_column, "use": config.gold.use, "rows": int(has_gold.sum()),
                       "dev_rows": int(dev.sum()) if config.gold.use == "evaluate" else None}

    # 2. Labeling functions and the label model.
    weak = np.full(len(df), -1)
    weak_confidence = np.full(len(df), np.nan)
    conflict = np.zeros(len(df), dtype=bool)
    if config.functions:
        weak, weak_confidence, conflict, metrics["functions"] = weak_labels(
            ctx, df, gold_codes, dev, evaluate)
    df["weak_label"] = names(weak, classes, df.index)
    df["weak_confidence"] = weak_confidence
    df["lf_conflict"] = conflict
    usable = (weak >= 0) & (np.nan_to_num(weak_confidence, nan=0.0) >= config.min_confidence)
    candidates["weak"] = Candidate(names(np.where(usable, weak, -1), classes, df.index),
                                   pd.Series(weak_confidence, index=df.index))

    # 3. Human and feedback labels from the flywheel, then one label per row by precedence.
    from builder.labeling.human.merge import flywheel_labels

    flywheel = flywheel_labels(ctx, df)
    candidates.update(flywheel.candidates)
    merged = merge_labels(candidates, df.index)
    report = precedence_report(candidates, merged)
    for source, figures in flywheel.metrics.items():
        metrics[source] = {**figures, **report.get(source, {})}
    # Rows to leave out at the end of the stage; every array stays row-aligned until then.
    dropped = flywheel.low_agreement.copy()

    # 4. Out-of-fold model predictions: pseudo-labels and suspected label errors.
    df["model_label"] = pd.Series(pd.NA, index=df.index, dtype=STRING)
    df["model_confidence"] = np.nan
    df["suspect_label"] = False
    if config.pseudo is not None or config.label_errors is not None:
        probabilities, metrics["pseudo"] = model_predictions(ctx, df, merged, weak_confidence,
                                                             dropped)
        predicted = np.where(np.isnan(probabilities).any(axis=1), -1,
                             np.nan_to_num(probabilities, nan=-1).argmax(axis=1))
        model_confidence = np.where(predicted >= 0, np.nanmax(
            np.nan_to_num(probabilities, nan=-1), axis=1), np.nan)
        df["model_label"] = names(predicted, classes, df.index)
        df["model_confidence"] = model_confidence
        if config.label_errors is not None:
            merged, suspects_to_drop = flag_label_errors(ctx, df, merged, probabilities,
                                                         gold_codes, metrics, dropped)
            dropped |= suspects_to_drop
        if config.unlabeled == "pseudo":
            # Pseudo-labels come last in precedence: they only fill rows left without a label
            # (and never rows sent to review).
            accepted = ((predicted >= 0) & merged["label"].isna().to_numpy()
                        & ~df["suspect_label"].to_numpy() & ~dropped
                        & (np.nan_to_num(model_confidence, nan=0.0) >= config.pseudo.min_confidence))
            merged = merged.copy()
            merged.loc[accepted, "label"] = names(predicted, classes, df.index)[accepted]
            merged.loc[accepted, "label_source"] = "pseudo"
            merged.loc[accepted, "label_confidence"] = model_confidence[accepted]
            metrics["pseudo"]["accepted"] = int(accepted.sum())
            metrics["pseudo"]["accepted_accuracy"] = accuracy(
                np.where(accepted, predicted, -1), np.where(evaluate & accepted, gold_codes, -1))
        metrics["pseudo"]["model_accuracy"] = accuracy(predicted, np.where(evaluate, gold_codes, -1))

    # 5. Final label, provenance, abstain policy.
    df[task.label] = merged["label"].astype(STRING)
    df["label_source"] = merged["label_source"].astype(STRING)
    df["label_confidence"] = merged["label_confidence"].astype("float64")
    has_label = df[task.label].notna().to_numpy()
    final = codes(df[task.label], classes)
    metrics["final_accuracy"] = accuracy(final, np.where(evaluate, gold_codes, -1))
    unlabeled_dropped = ~has_label & ~dropped if config.unlabeled == "drop" else \
        np.zeros(len(df), dtype=bool)
    df = df[~(dropped | unlabeled_dropped)].reset_index(drop=True)
    metrics.update({
        "rows_out": len(df),
        "unlabeled_dropped": int(unlabeled_dropped.sum()),
        "unlabeled_kept": int(df[task.label].isna().sum()),
        "label_sources": {k: int(v) for k, v in
                          df["label_source"].value_counts().sort_index().items()},
        "classes": {k: int(v) for k, v in
                    df[task.label].value_counts().reindex(classes, fill_value=0).items()},
    })
    artifacts.write_parquet(df, ctx.artifact(ARTIFACT))
    artifacts.write_json(metrics, ctx.metrics_path("label"))
    return metrics


def flag_label_errors(ctx: Context, df: pd.DataFrame, merged: pd.DataFrame,
                      probabilities: np.ndarray, gold: np.ndarray, metrics: dict,
                      dropped: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Mark suspected label errors (`suspect_label`) among the rows not already `dropped`;
    `review` also clears their label, `drop` returns them as rows to drop.

    Humans outrank models: a human label is flagged like any other, but never cleared nor
    dropped (counted as `human_kept` in the metrics)."""
    from builder.labeling.confident import suspects

    config = ctx.recipe.labeling.label_errors
    classes = ctx.recipe.task.classes
    given = np.where(dropped, -1, codes(merged["label"], classes))
    suspect, suggested = suspects(given, probabilities)
    df["suspect_label"] = suspect
    order = np.argsort(-np.nan_to_num(probabilities[suspect].max(axis=1)), kind="stable")
    listed = []
    rows = np.flatnonzero(suspect)[order][: config.max_listed]
    for row in rows:
        listed.append({"_id": str(df["_id"].iloc[row]), "label": classes[given[row]],
                       "label_source": str(merged["label_source"].iloc[row]),
                       "suggested": classes[suggested[row]],
                       "probability": round(float(probabilities[row, suggested[row]]), 4)})
    sources = merged["label_source"].astype(object).fillna("").to_numpy()
    found = {
        "action": config.action, "count": int(suspect.sum()),
        "by_source": {s: int((suspect & (sources == s)).sum()) for s in PRECEDENCE
                      if (suspect & (sources == s)).any()},
        "listed": listed,
    }
    judged = suspect & (gold >= 0)
    if judged.any() and ctx.recipe.labeling.gold.use == "evaluate":
        found["precision_against_gold"] = round(float((given[judged] != gold[judged]).mean()), 4)
    human = sources == "human"
    found["human_kept"] = int((suspect & human).sum())
    acted_on = suspect & ~human
    to_drop = acted_on if config.action == "drop" else np.zeros(len(df), dtype=bool)
    found["dropped"] = int(to_drop.sum())
    metrics["label_errors"] = found
    if config.action == "review":
        cleared = pd.Series(acted_on, index=merged.index)
        merged = merged.copy()
        merged.loc[cleared, "label"] = pd.NA
        merged.loc[cleared, "label_source"] = pd.NA
        merged.loc[cleared, "label_confidence"] = np.nan
    return merged, to_drop
