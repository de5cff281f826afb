"""Did the augment stage do harm? Quality and privacy of each generated origin against the real
train rows, the efficacy of the built train split, and the recipe's gates on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from builder.rows import ORIGIN, SPLIT


@dataclass
class RealRows:
    """The real rows of the sample the measures compare against."""

    train: pd.DataFrame
    holdout: pd.DataFrame
    every: pd.DataFrame
    features: list[str]
    label: str
    #: SDV metadata of the train rows (built on first use: it imports SDV).
    metadata: Callable[[], Any]
    #: `seed(*names)`: the augment stage's seed for a step.
    seed: Callable[..., int]


def evaluate(real: RealRows, recipe: Any, splits: list[str], generated: dict[str, pd.DataFrame],
             train_out: pd.DataFrame, changed: bool, made: dict[str, Any]) -> dict[str, Any]:
    """Quality and privacy of each generated origin (`generated`: its rows), and the efficacy of
    the built train split (`train_out`) when it `changed`; `made`: the synthetic metrics."""
    from builder.synthetic.efficacy import efficacy, evaluation_split

    result: dict[str, Any] = {}
    generated = {o: rows for o, rows in generated.items() if len(rows)}
    if generated:
        result.update(fidelity(real, generated, made))
    split = evaluation_split(splits)
    # An image task's efficacy would need a model over pixels, which the builder does not train.
    if changed and split is not None and recipe.task.type != "image-classification":
        task = recipe.task
        test = real.holdout[real.holdout[SPLIT] == split]
        columns = [c for c in real.features if c not in pii_columns(made)]
        if len(test) and test[real.label].nunique() > 0:
            result["efficacy"] = efficacy(
                real.train, train_out, test, real.label, columns,
                task.text if task.type == "text-classification" else None,
                real.seed("efficacy"), split)
    return result


def generated_rows(train_out: pd.DataFrame, origins: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The built train rows of each generated origin."""
    return {o: train_out[train_out[ORIGIN] == o] for o in origins}


def pii_columns(made: dict[str, Any]) -> list[str]:
    """The PII columns the synthesizer found (from its metrics)."""
    return list(made.get("pii_columns", []))


def fidelity(real: RealRows, generated: dict[str, pd.DataFrame],
             made: dict[str, Any]) -> dict[str, Any]:
    """Quality and privacy reports of each generated origin, PII columns left out."""
    from builder.synthetic import metadata as meta
    from builder.synthetic import privacy
    from builder.synthetic.quality import column_summaries, matched_reference, quality_report

    metadata = real.metadata()
    pii = set(pii_columns(made)) | set(meta.pii_columns(metadata))
    columns = [c for c in [*real.features, real.label] if c not in pii]
    metadata = meta.without(metadata, [c for c in meta.sdtypes(metadata) if c not in columns])
    real_train = real.train[columns]
    quality, report = {}, {}
    for origin, rows in generated.items():
        reference = matched_reference(real_train, real.train[real.label], rows[real.label],
                                      real.seed("quality", origin))
        quality[origin] = quality_report(meta.plain(reference),
                                         meta.plain(rows[columns].reset_index(drop=True)),
                                         metadata)
        quality[origin]["summaries"] = {"real": column_summaries(reference, columns),
                                        origin: column_summaries(rows, columns)}
        report[origin] = privacy.privacy_report(
            rows[columns], real_train, real.holdout[columns], real.every[columns], columns,
            real.seed("privacy", origin))
    removed = made.get("real_copies_replaced")
    if removed and "synthetic" in report:
        # Release mode replaced the copies; the gate judges what the generator produced.
        r = report["synthetic"]
        r["exact_copy_rows"] = removed
        r["exact_copies"] = round(removed / (r["rows"] + removed), 4)
        r["note"] = "copies of real rows were replaced before publishing"
    report["holdout_exact_copies"] = privacy.holdout_copies(real_train, real.holdout[columns],
                                                            columns)
    return {"quality": quality, "privacy": report}


def enforce_gates(thresholds: dict[str, float], evaluation: dict) -> list[dict]:
    """The recipe's thresholds checked on the synthetic rows; a `GateError` if one fails."""
    from builder.synthetic import gates

    if not thresholds:
        return []
    quality = evaluation.get("quality", {}).get("synthetic")
    privacy = evaluation.get("privacy", {}).get("synthetic")
    efficacy = evaluation.get("efficacy")
    records = gates.evaluate(thresholds, quality, privacy, efficacy)
    if quality is not None:
        gates.enforce(records, quality, privacy, efficacy)
    return records
