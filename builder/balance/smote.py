"""SMOTE for one class of the train split: imbalanced-learn's SMOTE (numeric columns), SMOTENC
(mixed) or SMOTEN (categorical), on an encoded table.

SMOTE cannot take missing values, booleans or datetimes, so the table is encoded first: a numeric
column with missing values gets its median and a categorical `<column>__missing` flag (SMOTENC
then decides missingness like any category, by the neighbours' majority), a missing category
becomes a category of its own, booleans become categories and datetimes int64 nanoseconds. New
rows are decoded back to the original dtypes (integers rounded, and values of discrete columns,
with at most `DISCRETE_VALUES` distinct values, snapped to the nearest value seen).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from builder.balance.strategies.base import smote_variant
from builder.columns import column_kind, conform, numeric_values

#: A numeric column with at most this many distinct values is discrete: new values are snapped
#: to the nearest value seen (a loan term of 12, 24, 36... months stays one of those).
DISCRETE_VALUES = 20
_MISSING = "__missing__"
_FLAG = "__missing"


@dataclass
class SmoteEncoding:
    """A feature table encoded for imbalanced-learn, and how to decode its new rows."""

    X: pd.DataFrame
    categorical: list[str]
    numeric: list[str]
    kinds: dict[str, str]
    flags: dict[str, str] = field(default_factory=dict)  # flag column -> numeric column
    grids: dict[str, np.ndarray] = field(default_factory=dict)  # discrete column -> its values

    @property
    def variant(self) -> str:
        """The imbalanced-learn sampler for the encoded columns."""
        return smote_variant(bool(self.numeric), bool(self.categorical))


def encode(features: pd.DataFrame) -> SmoteEncoding:
    """Encode a feature table for SMOTE (see the module docstring)."""
    columns, categorical, numeric, kinds, flags, grids = {}, [], [], {}, {}, {}
    for name in features.columns:
        series = features[name]
        kind = column_kind(series)
        kinds[name] = kind
        if kind == "categorical":
            text = series.astype(object).where(series.notna(), _MISSING).astype(str)
            columns[name] = text
            categorical.append(name)
            continue
        numbers = pd.Series(numeric_values(series), index=series.index)
        missing = numbers.isna()
        if missing.any():
            flag = name + _FLAG
            flags[flag] = name
            columns[flag] = pd.Series(np.where(missing, "yes", "no"), index=series.index)
            categorical.append(flag)
            median = numbers.median()
            numbers = numbers.fillna(0.0 if np.isnan(median) else median)
        columns[name] = numbers
        numeric.append(name)
        seen = np.unique(numbers[~missing])
        if kind == "numeric" and len(seen) <= DISCRETE_VALUES:
            grids[name] = seen
    return SmoteEncoding(pd.DataFrame(columns, index=features.index), categorical, numeric, kinds,
                         flags, grids)


def snap(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Each value replaced by the nearest value of the sorted `grid` (missing values stay)."""
    if len(grid) == 1:
        return np.where(np.isnan(values), np.nan, grid[0])
    right = np.clip(np.searchsorted(grid, values), 1, len(grid) - 1)
    lower, upper = grid[right - 1], grid[right]
    return np.where(np.isnan(values), np.nan,
                    np.where(values - lower <= upper - values, lower, upper))


def decode(new: pd.DataFrame, encoding: SmoteEncoding, like: pd.DataFrame) -> pd.DataFrame:
    """New encoded rows back in `like`'s columns and dtypes."""
    out = {}
    for name, kind in encoding.kinds.items():
        values = new[name]
        if kind == "categorical":
            values = values.astype(object).where(values.astype(str) != _MISSING, None)
        else:
            values = values.astype("float64")
            flag = name + _FLAG
            if flag in encoding.flags:
                values = values.where(new[flag].astype(str) != "yes")
            if name in encoding.grids:
                values = pd.Series(snap(values.to_numpy(), encoding.grids[name]), index=new.index)
            if kind == "datetime":
                stamps = values.round().astype("Int64")
                values = pd.to_datetime(stamps, unit="ns").astype(like[name].dtype)
        out[name] = values
    return conform(pd.DataFrame(out, index=new.index), like)


def smote(features: pd.DataFrame, labels: pd.Series, name: str, extra: int, k_neighbors: int,
          seed: int) -> tuple[pd.DataFrame, str]:
    """`extra` new rows of class `name` from imbalanced-learn, and the variant used.

    `features` and `labels` are the whole train split (SMOTEN's value-difference metric uses
    every class); neighbours are searched within the class only.
    """
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

    encoding = encode(features)
    count = int((labels == name).sum())
    k = min(k_neighbors, count - 1)
    strategy = {name: count + extra}
    y = labels.astype(str).to_numpy()
    variant = encoding.variant
    if variant == "SMOTENC":
        sampler = SMOTENC(categorical_features=encoding.categorical, k_neighbors=k,
                          sampling_strategy=strategy, random_state=seed)
    elif variant == "SMOTE":
        sampler = SMOTE(k_neighbors=k, sampling_strategy=strategy, random_state=seed)
    else:
        sampler = SMOTEN(k_neighbors=k, sampling_strategy=strategy, random_state=seed)
    resampled, _ = sampler.fit_resample(encoding.X.reset_index(drop=True), y)
    new = resampled.iloc[len(encoding.X):].reset_index(drop=True)
    return decode(new, encoding, features), variant
