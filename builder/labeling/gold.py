"""Gold labels: the gold column as labels (`gold.use: label`), or kept under `_gold` only to
measure the other labels (`gold.use: evaluate`), with a dev share for the `weighted` model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from builder.columns import STRING, unit_hashes
from builder.errors import DataError, one_of
from builder.labeling.config import GOLD_COLUMN
from builder.labeling.merge import Candidate
from builder.rows import ID, class_codes

if TYPE_CHECKING:
    from builder.context import Context


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


def in_fraction(ids: pd.Series, fraction: float, seed: int, salt: str) -> np.ndarray:
    """Whether each id falls in a stable pseudo-random `fraction` of ids."""
    return unit_hashes(ids, seed, salt) < fraction


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
    gold_codes = class_codes(gold, task.classes)
    has_gold = gold_codes >= 0
    if gold_column in df.columns:
        df = df.drop(columns=[gold_column])
    prepared = Prepared(df, gold_codes, has_gold, has_gold)
    if config.gold.use == "evaluate":
        df[GOLD_COLUMN] = gold
        prepared.dev = has_gold & in_fraction(df[ID], config.gold.dev_fraction, recipe.seed,
                                              "dev")
        prepared.evaluate = has_gold & ~prepared.dev
    else:
        prepared.candidates["gold"] = Candidate(gold, 1.0)
    return prepared
