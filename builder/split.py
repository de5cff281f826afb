"""The split stage: assign each row to a named split from a hash of its id and the seed.

A row's split depends only on its own `_id` (or its group's value) and the seed, never on the
other rows, so adding data never moves a row from one split to another and the test split stays
comparable across builds. Each row of each class lands in split `s` with probability equal to
its fraction: classes are split in the declared proportions in expectation (stratified
Bernoulli sampling); `stratify: true` reports the realised shares per class and warns when a
class is missing from a split.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder import artifacts
from builder.columns import require_columns
from builder.labeling.stage import ARTIFACT as INPUT

if TYPE_CHECKING:
    from builder.stages import Context

ARTIFACT = "split.parquet"
SPLIT_COLUMN = "split"


def uniform_hash(values: pd.Series, seed: int) -> np.ndarray:
    """A number in [0, 1) per value, from a keyed 64-bit hash of the value and the seed."""
    key = hashlib.sha256(f"split/{seed}".encode()).hexdigest()[:16]
    # categorize=False: the same hashes, without factorizing mostly unique keys first (4x faster)
    hashes = pd.util.hash_pandas_object(values.astype("string[pyarrow]"), index=False,
                                        hash_key=key, categorize=False).to_numpy()
    return (hashes >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def assign(keys: pd.Series, fractions: dict[str, float], seed: int) -> pd.Categorical:
    """The split of each row: thresholds over `uniform_hash`, in the declared split order."""
    position = uniform_hash(keys, seed)
    names = list(fractions)
    bounds = np.cumsum([fractions[n] for n in names])
    bounds[-1] = 1.0  # fractions sum to 1 up to rounding; never leave a row without a split
    codes = np.searchsorted(bounds, position, side="right")
    return pd.Categorical.from_codes(np.minimum(codes, len(names) - 1), categories=names)


def split_keys(df: pd.DataFrame, group: str | None) -> pd.Series:
    """What is hashed: the group column (a row without a group is its own group) or `_id`."""
    if group is None:
        return df["_id"]
    require_columns(df, [group], "split.group")
    groups = df[group].astype("string[pyarrow]")
    return ("group:" + groups).fillna("row:" + df["_id"])


def class_shares(df: pd.DataFrame, label: str, splits: list[str]) -> dict[str, Any]:
    """Rows per split and class, and each class's realised share of each split."""
    classes, names = pd.factorize(df[label], sort=True)  # -1 where the label is missing
    split_codes = pd.Categorical(df[SPLIT_COLUMN], categories=splits).codes
    known = classes >= 0
    flat = np.bincount(classes[known] * len(splits) + split_codes[known],
                       minlength=len(names) * len(splits))
    counts = pd.DataFrame(flat.reshape(len(names), len(splits)), index=names, columns=splits)
    shares = counts.div(counts.sum(axis=1), axis=0).round(4)
    return {
        "counts": {s: {c: int(n) for c, n in counts[s].items()} for s in splits},
        "shares": {c: shares.loc[c].to_dict() for c in shares.index},
    }


def run(ctx: Context) -> dict[str, Any]:
    """The split stage: `labeled.parquet` -> `split.parquet`, rows grouped by split."""
    config = ctx.recipe.split
    label = ctx.recipe.task.label
    df = artifacts.read_parquet(ctx.artifact(INPUT), "label")
    df[SPLIT_COLUMN] = assign(split_keys(df, config.group), config.fractions, ctx.recipe.split_seed)
    df = df.sort_values(SPLIT_COLUMN, kind="stable").reset_index(drop=True)
    splits = list(config.fractions)
    metrics: dict[str, Any] = {
        "seed": ctx.recipe.split_seed,
        "group": config.group,
        "rows": df[SPLIT_COLUMN].value_counts().reindex(splits, fill_value=0).to_dict(),
        "warnings": [],
    }
    if label in df.columns and df[label].notna().any():
        metrics.update(class_shares(df, label, splits))
        if config.stratify:
            for split, by_class in metrics["counts"].items():
                for name, count in by_class.items():
                    if count == 0:
                        metrics["warnings"].append(f"class '{name}' has no row in split '{split}'")
    if config.group is not None:
        per_group = df.groupby(df[config.group].astype("string"), dropna=True)[SPLIT_COLUMN].nunique()
        metrics["groups_spanning_splits"] = int((per_group > 1).sum())
    artifacts.write_parquet(df, ctx.artifact(ARTIFACT))
    artifacts.write_json(metrics, ctx.metrics_path("split"))
    return metrics
