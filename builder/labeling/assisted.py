"""Model-assisted labels: fold models fitted on a sample of at most `labeling.pseudo.sample_rows`
rows (chosen by a keyed hash of `_id`), out-of-fold probabilities of every partition with the
sums the confident-learning thresholds need, then the last pass (`finish_part`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder.columns import concat_rows, unit_hashes
from builder.labeling.combine import DROPPED, MERGED, training_rows
from builder.labeling.config import PseudoConfig
from builder.labeling.finish import finish, predictions
from builder.labeling.gold import Prepared
from builder.labeling.metrics import accuracy_counts, accuracy_of, add_counts
from builder.partitions import read_part, write_part
from builder.rows import ABSTAIN, BOOKKEEPING_COLUMNS, ID, class_codes, key_bound

if TYPE_CHECKING:
    from builder.context import Context
    from builder.partitions import Partitions


def excluded_columns(ctx: Context) -> set[str]:
    """Columns the model never reads: the label, the gold column and the stage's bookkeeping."""
    task = ctx.recipe.task
    return {task.label, ctx.recipe.labeling.gold_column(task), *BOOKKEEPING_COLUMNS}


def model_columns(ctx: Context, df: pd.DataFrame) -> list[str]:
    """The columns the model reads: the text (and the weak label, which picks the model of a
    row: see `FoldModels.views`), or the tabular features (with `_id`)."""
    from builder.labeling.pseudo import feature_columns, model_kind

    task = ctx.recipe.task
    config = ctx.recipe.labeling.pseudo or PseudoConfig()
    kind = model_kind(config, task)
    if kind in ("text", "image"):
        column = task.image if kind == "image" else task.text
        return [ID, column, *(["weak_label"] if "weak_label" in df.columns else [])]
    return [ID, *feature_columns(df, config, excluded_columns(ctx))]


def sample_part(item: tuple[str, float, float], ctx: Context, scratch: Path) -> pd.DataFrame:
    """A partition's rows in the model's fitting sample: columns the model reads, the target
    and whether the row trains it."""
    name, all_below, train_below = item
    df = read_part(scratch / name)
    train = training_rows(df, ctx)
    learn = train["strong"] | train["confident_weak"]
    keys = unit_hashes(df[ID], ctx.step_seed("label", "pseudo"), "sample")
    chosen = (keys <= all_below) | (learn & (keys <= train_below))
    sample = df.loc[chosen, model_columns(ctx, df)].reset_index(drop=True)
    sample["__train"] = learn[chosen]
    sample["__target"] = class_codes(df[MERGED["label"]], ctx.recipe.task.classes)[chosen]
    return sample


def predict_part(name: str, ctx: Context, scratch: Path, models: Any,
                 fingerprint: str | None = None) -> dict[str, Any]:
    """Out-of-fold probabilities of a partition's rows (kept in scratch; from the partition
    cache when it holds them for these rows and the models of `fingerprint`), with the sums
    the confident-learning thresholds need, the counts the acceptance threshold needs
    (`calibration`) and the model's accuracy on its training labels."""
    from builder.labeling.inference import predictions as predicted_by
    from builder.labeling.pseudo import calibration_counts

    df = read_part(scratch / name)
    probabilities, unvoted = predicted_by(ctx, df, models, fingerprint)
    np.save(scratch / f"{name}.probabilities.npy", probabilities)
    classes = ctx.recipe.task.classes
    train = training_rows(df, ctx)
    learn = train["strong"] | train["confident_weak"]
    targets = class_codes(df[MERGED["label"]], classes)
    predicted = predictions(probabilities)
    trained = learn & (predicted >= 0)
    given = np.where(df[DROPPED].to_numpy(), ABSTAIN, targets)
    usable = (given >= 0) & ~np.isnan(probabilities).any(axis=1)
    sums = np.zeros(len(classes))
    rows = np.zeros(len(classes), dtype=np.int64)
    for k in range(len(classes)):
        mine = usable & (given == k)
        sums[k] = probabilities[mine, k].sum()
        rows[k] = mine.sum()
    # Pseudo-labels' precision, estimated on the rows with a label, predicted by the models
    # that predict rows without one (see `FoldModels.views`).
    guessed = predictions(unvoted)
    judged = (given >= 0) & (guessed >= 0)
    calibration = calibration_counts(
        np.nanmax(np.nan_to_num(unvoted[judged], nan=-1), axis=1) if judged.any()
        else np.zeros(0), guessed[judged] == given[judged])
    return {"trained": accuracy_counts(np.where(trained, predicted, ABSTAIN),
                                       np.where(trained, targets, ABSTAIN)),
            "threshold_sums": sums, "threshold_rows": rows, "calibration": calibration}


def finish_part(name: str, ctx: Context, scratch: Path, out: Path,
                thresholds: np.ndarray | None, acceptance: float | None) -> dict[str, Any]:
    """The last pass with a model: suspected errors, pseudo-labels (confidence at least
    `acceptance`), the abstain policy."""
    df = read_part(scratch / name)
    probabilities = np.load(scratch / f"{name}.probabilities.npy")
    merged = pd.DataFrame({column: df[working] for column, working in MERGED.items()})
    prepared = Prepared(df, df["_gold_code"].to_numpy(), np.zeros(len(df), dtype=bool),
                        df["_evaluate"].to_numpy())
    dropped = df[DROPPED].to_numpy()
    df.drop(columns=[*MERGED.values(), DROPPED, "_gold_code", "_evaluate"], inplace=True)
    out_df, counts = finish(prepared, merged, dropped, ctx, probabilities, thresholds,
                            acceptance)
    write_part(out_df, out / name)
    return counts


def sample_bounds(keys: list[np.ndarray], train: list[np.ndarray],
                  limit: int) -> tuple[float, float]:
    """Key bounds that choose at most about `limit` rows of all rows (for the text vocabulary)
    and of the training rows: everything when there are fewer."""
    return key_bound(keys, limit), key_bound([k[t] for k, t in zip(keys, train)], limit)


def run_model(ctx: Context, parts: Partitions, merged: list[dict], scratch: Path,
              out: Path) -> tuple[list[dict], dict[str, Any]]:
    """Fit the fold models on a sample, predict every partition, set the acceptance
    threshold, finish every partition."""
    from builder.labeling.inference import fitted_models
    from builder.labeling.pseudo import fit_folds, precision_threshold

    labeling, task = ctx.recipe.labeling, ctx.recipe.task
    config = labeling.pseudo or PseudoConfig()
    classes = task.classes
    all_below, train_below = sample_bounds([r["keys"] for r in merged],
                                           [r["train"] for r in merged], config.sample_rows)
    samples = ctx.map(sample_part, [(n, all_below, train_below) for n in parts.names], scratch,
                      label="model sample")
    sample = concat_rows(samples, samples[0]) if samples else pd.DataFrame()
    train = sample["__train"].to_numpy()
    targets = sample["__target"].to_numpy()
    encoder = text_encoder(ctx)
    models, fingerprint = fitted_models(ctx, sample, encoder, lambda: fit_folds(
        sample.drop(columns=["__train", "__target"]), train, targets, len(classes), config,
        task, ctx.step_seed("label", "pseudo"), excluded_columns(ctx), encoder))
    if encoder is not None:
        encoder.track = None  # the partitions' own encodes run inside the stage's map
    predicted = ctx.map(predict_part, parts.names, scratch, models, fingerprint,
                        label="model predictions", threads=False)
    thresholds = None
    if labeling.label_errors is not None:
        sums = sum(p["threshold_sums"] for p in predicted)
        rows = sum(p["threshold_rows"] for p in predicted)
        thresholds = np.where(rows > 0, sums / np.maximum(rows, 1), np.inf)
    acceptance = precision_threshold(sum(p["calibration"] for p in predicted),
                                     config.target_precision, config.min_confidence)
    final = ctx.map(finish_part, parts.names, scratch, out, thresholds,
                    acceptance["threshold"], label="finish labels")
    training = {"strong": 0, "confident_weak": 0}
    for result in merged:
        add_counts(training, result["training_rows"])
    trained = sum((p["trained"] for p in predicted), np.zeros(3, np.int64))
    pseudo = {
        "type": config.type, "folds": config.folds,
        **({"encoder": encoder_metrics(config)} if encoder is not None else {}),
        "acceptance": acceptance,
        "training_rows": training,
        "sample_rows": int(train.sum()) if len(sample) else 0,
        "out_of_fold_accuracy_on_training_labels": accuracy_of(trained)["accuracy_labeled"],
    }
    if not train.any() or len(np.unique(targets[train])) < 2:
        pseudo["warning"] = "fewer than two classes to train on: no model predictions"
    return final, pseudo


def text_encoder(ctx: Context):
    """The recipe's text encoder (`labeling.pseudo.encoder`), or None for a tabular model."""
    from builder.labeling.encoders.base import make_encoder
    from builder.labeling.pseudo import model_kind

    config = ctx.recipe.labeling.pseudo or PseudoConfig()
    if model_kind(config, ctx.recipe.task) not in ("text", "image"):
        return None
    return make_encoder(config.encoder, root=ctx.root, file=ctx.composed.display_file,
                        track=ctx.track, max_features=config.max_features)


def encoder_metrics(config: PseudoConfig) -> dict[str, Any]:
    """The encoder as the metrics and the card name it: its type and keys."""
    import dataclasses

    from builder.labeling.encoders.base import encoder_config

    return dataclasses.asdict(encoder_config(config.encoder))
