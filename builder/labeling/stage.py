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

In partitions: row-wise work (labeling functions, merging, model inference, the abstain policy)
runs per partition on the engine; the driver sees reduced data only. Passes, each only when the
recipe needs it:

- `count_votes`: each partition's label matrix (kept in scratch), its distinct vote patterns
  with counts, (pattern, gold) counts, and which label-store ids it holds;
- the driver fits the label model on the patterns of the whole table and the store's consensus;
- `merge_part`: weak labels, every label source, precedence; the final part when no model is
  trained, else a scratch part and the keys that choose the model's training sample;
- `sample_part` -> the driver fits the fold models on a sample of at most
  `labeling.pseudo.sample_rows` rows (chosen by a keyed hash of `_id`) -> `predict_part`:
  out-of-fold probabilities and per-class sums for the confident-learning thresholds;
- `finish_part`: suspected errors, pseudo-labels, the abstain policy, the final part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder import artifacts
from builder.columns import STRING, unit_hashes
from builder.errors import DataError, one_of
from builder.labeling.config import GOLD_COLUMN, PseudoConfig
from builder.labeling.merge import (DETAIL_COLUMNS, PRECEDENCE, Candidate, merge_labels,
                                    precedence_report)
from builder.partitions import Partitions, read_part, write_part
from builder.sources.ingest import ARTIFACT as INPUT

if TYPE_CHECKING:
    from builder.context import Context

ARTIFACT = "labeled"
LABEL_SOURCES = PRECEDENCE
#: Working columns of a scratch part between passes (never published: they start with `_`).
MERGED = {"label": "__label", "label_source": "__label_source",
          "label_confidence": "__label_confidence"}
DROPPED = "__dropped"


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
    import pyarrow as pa
    import pyarrow.compute as pc

    from builder.columns import to_arrow

    text = pc.cast(to_arrow(labels.astype(STRING)), pa.string())
    found = pc.index_in(text, value_set=pa.array(classes, pa.string()))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def names(indices: np.ndarray, classes: list[str], index: pd.Index) -> pd.Series:
    """Class indices (-1 = none) -> class names as `string[pyarrow]`."""
    import pyarrow as pa

    from builder.columns import string_series

    indices = np.asarray(indices, dtype=np.int64)
    taken = pa.array(classes, pa.large_string()).take(pa.array(indices, mask=indices < 0))
    return string_series(taken, index)


def in_fraction(ids: pd.Series, fraction: float, seed: int, salt: str) -> np.ndarray:
    """Whether each id falls in a stable pseudo-random `fraction` of ids."""
    return unit_hashes(ids, seed, salt) < fraction


def accuracy_counts(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """[rows with truth, of them with a prediction, of them right]: what `accuracy` reports,
    summable over partitions."""
    known = truth >= 0
    made = known & (predicted >= 0)
    return np.array([known.sum(), made.sum(), (made & (predicted == truth)).sum()],
                    dtype=np.int64)


def accuracy_of(counts: np.ndarray) -> dict[str, Any]:
    """Accuracy against known truth, on rows with a prediction and on all rows with truth."""
    known, made, right = (int(c) for c in counts)
    return {
        "rows": known,
        "labeled": made,
        "accuracy_labeled": round(right / made, 4) if made else None,
        "accuracy_all": round(right / known, 4) if known else None,
    }


def accuracy(predicted: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """Accuracy against known truth, on rows with a prediction and on all rows with truth."""
    return accuracy_of(accuracy_counts(predicted, truth))


def add_counts(total: dict, part: dict) -> dict:
    """Sum nested dicts of counts (and arrays) key by key; other values keep the first seen."""
    for key, value in part.items():
        if isinstance(value, dict):
            total[key] = add_counts(total.get(key, {}), value)
        elif isinstance(value, list):
            total[key] = total.get(key, []) + value
        elif isinstance(value, (int, np.integer, np.ndarray)) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
        else:
            total.setdefault(key, value)
    return total


# -- per partition ---------------------------------------------------------------------------------

@dataclass
class Prepared:
    """A partition with its gold labels taken out: class codes and dev/evaluation rows."""

    df: pd.DataFrame
    gold: np.ndarray
    dev: np.ndarray
    evaluate: np.ndarray
    candidates: dict[str, Candidate] = field(default_factory=dict)


def prepare(df: pd.DataFrame, ctx: Context) -> Prepared:
    """Gold labels: as labels, or only for evaluation under `_gold`."""
    recipe = ctx.recipe
    config, task = recipe.labeling, recipe.task
    gold_column = config.gold_column(task)
    gold = gold_labels(df, gold_column, task.classes)
    gold_codes = codes(gold, task.classes)
    has_gold = gold_codes >= 0
    if gold_column in df.columns:
        df = df.drop(columns=[gold_column])
    prepared = Prepared(df, gold_codes, has_gold, has_gold)
    if config.gold.use == "evaluate":
        df[GOLD_COLUMN] = gold
        prepared.dev = has_gold & in_fraction(df["_id"], config.gold.dev_fraction, recipe.seed,
                                              "dev")
        prepared.evaluate = has_gold & ~prepared.dev
    else:
        prepared.candidates["gold"] = Candidate(gold, 1.0)
    return prepared


def functions_of(ctx: Context) -> list:
    from builder.labeling.apply import build_functions

    task = ctx.recipe.task
    return build_functions(ctx.recipe.labeling.functions, task.classes, task.text, ctx.root)


def pair_counts(pattern: np.ndarray, gold: np.ndarray, rows: np.ndarray,
                n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (pattern, gold class) pairs among `rows`, and how many rows have each."""
    keys = pattern[rows].astype(np.int64) * n_classes + gold[rows]
    values, counts = np.unique(keys, return_counts=True)
    return values // n_classes, values % n_classes, counts


@dataclass
class Votes:
    """Pass 1 of a partition: its vote patterns and what the driver needs besides."""

    name: str
    rows: int
    gold_rows: int
    dev_rows: int
    patterns: np.ndarray | None = None
    counts: np.ndarray | None = None
    evaluate_pairs: tuple | None = None
    dev_pairs: tuple | None = None
    found: np.ndarray | None = None


def count_votes(name: str, ctx: Context, source: Path, scratch: Path,
                store_ids: pd.Series | None) -> Votes:
    """Apply the labeling functions to one partition (matrix kept in scratch); report its vote
    patterns, (pattern, gold) counts and which label-store ids it holds."""
    from builder.labeling.apply import label_matrix
    from builder.labeling.human.merge import found_ids
    from builder.labeling.models import Patterns

    config = ctx.recipe.labeling
    prepared = prepare(read_part(source / name), ctx)
    votes = Votes(name, len(prepared.df), int((prepared.gold >= 0).sum()), int(prepared.dev.sum()))
    if config.functions:
        n_classes = len(ctx.recipe.task.classes)
        matrix = label_matrix(prepared.df, functions_of(ctx), config.batch_size)
        np.save(scratch / f"{name}.npy", matrix)
        patterns = Patterns.of(matrix, n_classes)
        votes.patterns, votes.counts = patterns.patterns, patterns.counts
        votes.evaluate_pairs = pair_counts(patterns.inverse, prepared.gold,
                                           np.flatnonzero(prepared.evaluate), n_classes)
        votes.dev_pairs = pair_counts(patterns.inverse, prepared.gold,
                                      np.flatnonzero(prepared.dev), n_classes)
    if store_ids is not None:
        votes.found = found_ids(prepared.df["_id"], store_ids)
    return votes


@dataclass
class Weak:
    """The label model's output per global vote pattern, and each partition's map to them."""

    labels: np.ndarray
    confidence: np.ndarray
    local: dict[str, np.ndarray]


def weak_columns(prepared: Prepared, name: str, ctx: Context, scratch: Path,
                 weak: Weak | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weak labels, their confidence and the conflict flag of a partition's rows."""
    from builder.labeling.models import Patterns

    rows = len(prepared.df)
    if weak is None:
        return np.full(rows, -1), np.full(rows, np.nan), np.zeros(rows, dtype=bool)
    n_classes = len(ctx.recipe.task.classes)
    matrix = np.load(scratch / f"{name}.npy")
    pattern = weak.local[name][Patterns.of(matrix, n_classes).inverse]
    distinct = np.zeros(rows, dtype=np.int64)
    for k in range(n_classes):
        distinct += (matrix == k).any(axis=1)
    return weak.labels[pattern], weak.confidence[pattern], distinct >= 2


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
    df["weak_label"] = names(weak, classes, df.index)
    df["weak_confidence"] = weak_confidence
    df["lf_conflict"] = conflict
    usable = (weak >= 0) & (np.nan_to_num(weak_confidence, nan=0.0) >= config.min_confidence)
    candidates = dict(prepared.candidates)
    candidates["weak"] = Candidate(names(np.where(usable, weak, -1), classes, df.index),
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
    counts["keys"] = unit_hashes(df["_id"], ctx.step_seed("label", "pseudo"), "sample")
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


def model_columns(ctx: Context, df: pd.DataFrame) -> list[str]:
    """The columns the model reads: the text (and the weak label, which picks the model of a
    row: see `FoldModels.views`), or the tabular features (with `_id`)."""
    from builder.labeling.pseudo import feature_columns, model_kind

    task, labeling = ctx.recipe.task, ctx.recipe.labeling
    config = labeling.pseudo or PseudoConfig()
    if model_kind(config, task) == "text":
        return ["_id", task.text, *(["weak_label"] if "weak_label" in df.columns else [])]
    excluded = {task.label, labeling.gold_column(task), "label_source", "label_confidence",
                *DETAIL_COLUMNS}
    return ["_id", *feature_columns(df, config, excluded)]


def sample_part(item: tuple[str, float, float], ctx: Context, scratch: Path) -> pd.DataFrame:
    """A partition's rows in the model's fitting sample: columns the model reads, the target
    and whether the row trains it."""
    name, all_below, train_below = item
    df = read_part(scratch / name)
    train = training_rows(df, ctx)
    learn = train["strong"] | train["confident_weak"]
    keys = unit_hashes(df["_id"], ctx.step_seed("label", "pseudo"), "sample")
    chosen = (keys <= all_below) | (learn & (keys <= train_below))
    sample = df.loc[chosen, model_columns(ctx, df)].reset_index(drop=True)
    sample["__train"] = learn[chosen]
    sample["__target"] = codes(df[MERGED["label"]], ctx.recipe.task.classes)[chosen]
    return sample


def predict_part(name: str, ctx: Context, scratch: Path, models: Any) -> dict[str, Any]:
    """Out-of-fold probabilities of a partition's rows (kept in scratch), with the sums the
    confident-learning thresholds need and the model's accuracy on its training labels."""
    df = read_part(scratch / name)
    probabilities = models.predict(df)
    np.save(scratch / f"{name}.probabilities.npy", probabilities)
    classes = ctx.recipe.task.classes
    train = training_rows(df, ctx)
    learn = train["strong"] | train["confident_weak"]
    targets = codes(df[MERGED["label"]], classes)
    predicted = predictions(probabilities)
    trained = learn & (predicted >= 0)
    given = np.where(df[DROPPED].to_numpy(), -1, targets)
    usable = (given >= 0) & ~np.isnan(probabilities).any(axis=1)
    sums = np.zeros(len(classes))
    rows = np.zeros(len(classes), dtype=np.int64)
    for k in range(len(classes)):
        mine = usable & (given == k)
        sums[k] = probabilities[mine, k].sum()
        rows[k] = mine.sum()
    return {"trained": accuracy_counts(np.where(trained, predicted, -1),
                                       np.where(trained, targets, -1)),
            "threshold_sums": sums, "threshold_rows": rows}


def predictions(probabilities: np.ndarray) -> np.ndarray:
    """The most probable class per row, -1 where the model gave none."""
    return np.where(np.isnan(probabilities).any(axis=1), -1,
                    np.nan_to_num(probabilities, nan=-1).argmax(axis=1))


def finish_part(name: str, ctx: Context, scratch: Path, out: Path,
                thresholds: np.ndarray | None) -> dict[str, Any]:
    """The last pass with a model: suspected errors, pseudo-labels, the abstain policy."""
    df = read_part(scratch / name)
    probabilities = np.load(scratch / f"{name}.probabilities.npy")
    merged = pd.DataFrame({column: df[working] for column, working in MERGED.items()})
    prepared = Prepared(df, df["_gold_code"].to_numpy(), np.zeros(len(df), dtype=bool),
                        df["_evaluate"].to_numpy())
    dropped = df[DROPPED].to_numpy()
    df.drop(columns=[*MERGED.values(), DROPPED, "_gold_code", "_evaluate"], inplace=True)
    out_df, counts = finish(prepared, merged, dropped, ctx, probabilities, thresholds)
    write_part(out_df, out / name)
    return counts


def finish(prepared: Prepared, merged: pd.DataFrame, dropped: np.ndarray, ctx: Context,
           probabilities: np.ndarray | None = None,
           thresholds: np.ndarray | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Model columns, suspected label errors and pseudo-labels (with a model), then the final
    label columns and the abstain policy: the partition's output rows and its counts."""
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
        df["model_label"] = names(predicted, classes, df.index)
        df["model_confidence"] = model_confidence
        pseudo: dict[str, Any] = {}
        if config.label_errors is not None:
            merged, suspects_to_drop, counts["label_errors"] = flag_label_errors(
                ctx, df, merged, probabilities, gold_codes, dropped, thresholds)
            dropped = dropped | suspects_to_drop
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
            pseudo["accepted"] = int(accepted.sum())
            pseudo["accepted_accuracy"] = accuracy_counts(
                np.where(accepted, predicted, -1), np.where(evaluate & accepted, gold_codes, -1))
        pseudo["model_accuracy"] = accuracy_counts(predicted, np.where(evaluate, gold_codes, -1))
        counts["pseudo"] = pseudo
    df[task.label] = merged["label"].astype(STRING)
    df["label_source"] = merged["label_source"].astype(STRING)
    df["label_confidence"] = merged["label_confidence"].astype("float64")
    has_label = df[task.label].notna().to_numpy()
    final = codes(df[task.label], classes)
    counts["final_accuracy"] = accuracy_counts(final, np.where(evaluate, gold_codes, -1))
    unlabeled_dropped = ~has_label & ~dropped if config.unlabeled == "drop" else \
        np.zeros(len(df), dtype=bool)
    keep = ~(dropped | unlabeled_dropped)
    if not keep.all():
        df = df[keep].reset_index(drop=True)
    sources = df["label_source"].value_counts()
    kept_codes = final[keep]
    counts.update({
        "rows_out": len(df),
        "unlabeled_dropped": int(unlabeled_dropped.sum()),
        "unlabeled_kept": int((kept_codes < 0).sum()),
        "label_sources": {str(k): int(v) for k, v in sources.items()},
        "classes": np.bincount(kept_codes[kept_codes >= 0], minlength=len(classes)),
    })
    return df, counts


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
    given = np.where(dropped, -1, codes(merged["label"], classes))
    suspect, suggested = suspects(given, probabilities, thresholds)
    df["suspect_label"] = suspect
    top = probabilities[suspect].max(axis=1) if suspect.any() else np.zeros(0)
    order = np.argsort(-np.nan_to_num(top), kind="stable")
    rows = np.flatnonzero(suspect)[order][: config.max_listed]
    sources = merged["label_source"].astype(object).fillna("").to_numpy()
    listed = [{"_id": str(df["_id"].iloc[row]), "label": classes[given[row]],
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
        "by_source": {s: int((suspect & (sources == s)).sum()) for s in PRECEDENCE},
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


# -- the driver -------------------------------------------------------------------------------------

def fit_label_model(ctx: Context, votes: list[Votes]) -> tuple[Weak, dict[str, Any]]:
    """The label model fitted on the distinct vote patterns of the whole table; diagnostics."""
    from builder.labeling.analysis import analyze
    from builder.labeling.models import MajorityModel, Patterns, make_model

    config, task = ctx.recipe.labeling, ctx.recipe.task
    classes = task.classes
    functions = functions_of(ctx)
    width = len(functions)
    stacked = np.concatenate([v.patterns for v in votes]) if votes else \
        np.zeros((0, width), np.int8)
    merged = Patterns.of(stacked, len(classes))
    local, start = {}, 0
    counts = np.zeros(len(merged.patterns), dtype=np.int64)
    for v in votes:
        local[v.name] = merged.inverse[start:start + len(v.patterns)]
        np.add.at(counts, local[v.name], v.counts)
        start += len(v.patterns)
    table = Patterns(merged.patterns, np.arange(len(merged.patterns)), counts)

    def expand(pairs_of) -> tuple[np.ndarray, np.ndarray]:
        pattern, gold = [], []
        for v in votes:
            p, g, n = pairs_of(v)
            pattern.append(np.repeat(local[v.name][p], n))
            gold.append(np.repeat(g, n))
        return (np.concatenate(pattern) if pattern else np.zeros(0, np.int64),
                np.concatenate(gold) if gold else np.zeros(0, np.int64))

    evaluated, evaluated_gold = expand(lambda v: v.evaluate_pairs)
    names_ = [f.name for f in functions]
    kinds = [f.type_name + (" (row by row)" if f.slow else "") for f in functions]
    metrics = analyze(Patterns(table.patterns, evaluated, counts), names_, kinds, classes,
                      evaluated_gold)
    model = make_model(config.model, len(classes))
    if config.model.type == "weighted":
        dev, dev_gold = expand(lambda v: v.dev_pairs)
        if not len(dev):
            raise DataError("labeling.model: the weighted model learns from gold dev rows, but "
                            "no row has a gold label in the dev set; expected gold labels.")
        model.fit(table.patterns[dev], dev_gold)
    else:
        model.fit_patterns(table)
    labels, probabilities = model.predict_patterns(table)
    confidence = np.where(labels >= 0, np.nanmax(np.nan_to_num(probabilities, nan=-1), axis=1),
                          np.nan)
    described = model.describe()
    for key in ("learned_accuracy", "dev_accuracy", "weights"):
        for name, value in zip(names_, described.pop(key, None) or []):
            metrics["functions"][name][key] = value
    described.pop("dev_votes", None)
    metrics["model"] = {"type": config.model.type, **described}
    majority = MajorityModel(len(classes))
    majority.fit_patterns(table)
    majority_labels, _ = majority.predict_patterns(table)
    metrics["weak_accuracy"] = accuracy(labels[evaluated], evaluated_gold)
    metrics["majority_accuracy"] = accuracy(majority_labels[evaluated], evaluated_gold)
    return Weak(labels, confidence, local), metrics


def human_consensus_of(ctx: Context, parts: Partitions, source: Path, scratch: Path,
                       votes: list[Votes] | None) -> tuple[Any, dict[str, Any]]:
    """The label store's consensus over the rows of this build (None for an empty store)."""
    from builder.labeling.human.merge import human_consensus, store_annotations

    task, config = ctx.recipe.task, ctx.recipe.labeling.human
    store_dir = config.store_dir(ctx.root, ctx.recipe.name)
    try:
        display = str(store_dir.resolve().relative_to(ctx.root.resolve()))
    except ValueError:
        display = str(store_dir)
    annotations, metrics = store_annotations(store_dir, task, display)
    if annotations is None:
        return None, metrics
    wanted = pd.Series(annotations["_id"].unique()).astype(STRING)
    if votes is None:
        votes = ctx.map(count_votes, parts.names, source, scratch, wanted, label="label store")
    found = np.zeros(len(wanted), dtype=bool)
    for v in votes:
        found |= v.found
    present = annotations["_id"].astype(STRING).isin(wanted[found]).to_numpy()
    consensus = human_consensus(annotations, present, metrics, task, config)
    return consensus, consensus.metrics


def sample_bounds(keys: list[np.ndarray], train: list[np.ndarray],
                  limit: int) -> tuple[float, float]:
    """Key bounds that choose at most about `limit` rows of all rows (for the text vocabulary)
    and of the training rows: everything when there are fewer."""
    every = np.concatenate(keys) if keys else np.zeros(0)
    learn = np.concatenate([k[t] for k, t in zip(keys, train)]) if keys else np.zeros(0)

    def bound(values: np.ndarray) -> float:
        if len(values) <= limit:
            return 1.0
        return float(np.partition(values, limit - 1)[limit - 1])

    return bound(every), bound(learn)


def run(ctx: Context) -> dict[str, Any]:
    """The label stage: `ingested/` -> `labeled/` with labels and their provenance."""
    recipe = ctx.recipe
    config = recipe.labeling
    parts = Partitions.open(ctx.artifact(INPUT), "ingest")
    target = ctx.artifact(ARTIFACT)
    model = config.pseudo is not None or config.label_errors is not None
    metrics: dict[str, Any] = {}
    with artifacts.atomic_dir(target) as out, artifacts.scratch_dir(target) as scratch:
        source = parts.folder
        shared = Shared(final=not model)
        votes = None
        if config.functions:
            store_ids = _store_ids(ctx)
            votes = ctx.map(count_votes, parts.names, source, scratch, store_ids,
                            label="labeling functions")
            shared.weak, metrics["functions"] = fit_label_model(ctx, votes)
        shared.human, human_metrics = human_consensus_of(ctx, parts, source, scratch, votes)
        results = ctx.map(merge_part, parts.names, source, scratch, out, shared,
                          label="merge labels")
        totals: dict[str, Any] = {}
        for result in results:
            add_counts(totals, {k: v for k, v in result.items() if k not in ("keys", "train")})
        if model:
            final, pseudo = run_model(ctx, parts, results, scratch, out)
            for result in final:
                add_counts(totals, result)
            metrics["pseudo"] = pseudo
        metrics = label_metrics(ctx, metrics, totals, human_metrics)
    artifacts.write_json(metrics, ctx.metrics_path("label"))
    return metrics


def _store_ids(ctx: Context) -> pd.Series | None:
    from builder.labeling.human.merge import store_annotations

    config = ctx.recipe.labeling.human
    annotations, _ = store_annotations(config.store_dir(ctx.root, ctx.recipe.name),
                                       ctx.recipe.task)
    return None if annotations is None else pd.Series(annotations["_id"].unique()).astype(STRING)


def run_model(ctx: Context, parts: Partitions, merged: list[dict], scratch: Path,
              out: Path) -> tuple[list[dict], dict[str, Any]]:
    """Fit the fold models on a sample, predict every partition, finish every partition."""
    from builder.labeling.pseudo import fit_folds

    labeling, task = ctx.recipe.labeling, ctx.recipe.task
    config = labeling.pseudo or PseudoConfig()
    classes = task.classes
    all_below, train_below = sample_bounds([r["keys"] for r in merged],
                                           [r["train"] for r in merged], config.sample_rows)
    samples = ctx.map(sample_part, [(n, all_below, train_below) for n in parts.names], scratch,
                      label="model sample")
    from builder.columns import concat_rows

    sample = concat_rows(samples, samples[0]) if samples else pd.DataFrame()
    excluded = {task.label, labeling.gold_column(task), "label_source", "label_confidence",
                *DETAIL_COLUMNS}
    train = sample["__train"].to_numpy()
    targets = sample["__target"].to_numpy()
    models = fit_folds(sample.drop(columns=["__train", "__target"]), train, targets,
                       len(classes), config, task, ctx.step_seed("label", "pseudo"), excluded)
    predicted = ctx.map(predict_part, parts.names, scratch, models, label="model predictions",
                        threads=False)
    thresholds = None
    if labeling.label_errors is not None:
        sums = sum(p["threshold_sums"] for p in predicted)
        rows = sum(p["threshold_rows"] for p in predicted)
        thresholds = np.where(rows > 0, sums / np.maximum(rows, 1), np.inf)
    final = ctx.map(finish_part, parts.names, scratch, out, thresholds, label="finish labels")
    training = {"strong": 0, "confident_weak": 0}
    for result in merged:
        add_counts(training, result["training_rows"])
    trained = sum((p["trained"] for p in predicted), np.zeros(3, np.int64))
    pseudo = {
        "type": config.type, "folds": config.folds,
        "training_rows": training,
        "sample_rows": int(train.sum()) if len(sample) else 0,
        "out_of_fold_accuracy_on_training_labels": accuracy_of(trained)["accuracy_labeled"],
    }
    if not train.any() or len(np.unique(targets[train])) < 2:
        pseudo["warning"] = "fewer than two classes to train on: no model predictions"
    return final, pseudo


def label_metrics(ctx: Context, metrics: dict[str, Any], totals: dict[str, Any],
                  human_metrics: dict[str, Any]) -> dict[str, Any]:
    """The stage's metrics, in the order and shape of one pass over the whole table."""
    recipe = ctx.recipe
    config, task = recipe.labeling, recipe.task
    classes = task.classes
    result: dict[str, Any] = {"rows_in": int(totals.get("rows_in", 0))}
    result["gold"] = {"column": config.gold_column(task), "use": config.gold.use,
                      "rows": int(totals.get("gold_rows", 0)),
                      "dev_rows": int(totals.get("dev_rows", 0))
                      if config.gold.use == "evaluate" else None}
    if "functions" in metrics:
        result["functions"] = metrics["functions"]
    report = _sorted_counts(totals.get("precedence", {}))
    if totals.get("feedback"):
        result["feedback"] = {**{k: int(v) for k, v in totals["feedback"].items()},
                              **report.get("feedback", {})}
    human = dict(human_metrics)
    if "low_agreement" in human:
        human["low_agreement"] = {**human["low_agreement"],
                                  "dropped": int(totals.get("human_dropped", 0))}
    result["human"] = {**human, **report.get("human", {})}
    if "pseudo" in metrics:
        pseudo = dict(metrics["pseudo"])
        if "label_errors" in totals:
            result["label_errors"] = label_errors_metrics(ctx, totals["label_errors"])
        found = totals.get("pseudo", {})
        if config.unlabeled == "pseudo":
            pseudo["accepted"] = int(found.get("accepted", 0))
            pseudo["accepted_accuracy"] = accuracy_of(found.get("accepted_accuracy",
                                                                np.zeros(3)))
        pseudo["model_accuracy"] = accuracy_of(found.get("model_accuracy", np.zeros(3)))
        result["pseudo"] = pseudo
    result["final_accuracy"] = accuracy_of(totals.get("final_accuracy", np.zeros(3)))
    class_counts = totals.get("classes", np.zeros(len(classes), np.int64))
    result.update({
        "rows_out": int(totals.get("rows_out", 0)),
        "unlabeled_dropped": int(totals.get("unlabeled_dropped", 0)),
        "unlabeled_kept": int(totals.get("unlabeled_kept", 0)),
        "label_sources": {k: int(v) for k, v in sorted(totals.get("label_sources", {}).items())},
        "classes": {c: int(n) for c, n in zip(classes, class_counts)},
    })
    return result


def _sorted_counts(report: dict[str, Any]) -> dict[str, Any]:
    """Summed precedence reports with their count mappings in key order (as one pass gives)."""
    result = {}
    for source, figures in report.items():
        result[source] = {k: ({n: int(c) for n, c in sorted(v.items())} if isinstance(v, dict)
                              else int(v)) for k, v in figures.items()}
    return result


def label_errors_metrics(ctx: Context, found: dict[str, Any]) -> dict[str, Any]:
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
