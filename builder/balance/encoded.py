"""The efficacy model's table inputs for cross-validation, encoded once for every candidate.

`builder.synthetic.efficacy.fit_model` encodes each fit's rows anew: every categorical value as
text, which the model's own ordinal encoder then sorts again (most of a fit's time on small
tables with text columns). Cross-validation fits the same sample rows `folds` x candidates
times, so it encodes them once here, and the model gets numbers:

- a categorical column becomes the rank of its text in sorted order (missing: NaN). The model's
  ordinal encoder ranks what it gets, so ranks in the same order as the text give it the same
  categories in the same order, and the same model;
- numbers and datetimes are read as `efficacy` reads them (`numeric_values`).

Rows a strategy generates (SMOTE, a generator) are encoded on their own and put on the same
ranks; values the sample lacks (a generator's fake PII) are ranked among the others in text
order. A categorical column with more than `MAX_CATEGORIES` values over the fit and the scored
rows is left out, as `fit_model` leaves it out. Generated rows that would change a column's kind
once under the sample's (a generator's integers as Python objects make the column text) are not
encoded here (`same_kinds`): cross-validation fits those through `fit_model`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from builder.columns import column_kind, numeric_values
from builder.synthetic.efficacy import MAX_CATEGORIES


@dataclass
class Encoded:
    """Rows of a feature table as numbers, and how its categorical columns were ranked."""

    values: np.ndarray  # float64, rows x features
    kinds: list[str]  # column_kind per feature
    dtypes: list  # the table's dtype per feature
    categories: list[np.ndarray | None]  # the sorted texts of each categorical feature

    @property
    def categorical(self) -> np.ndarray:
        """A flag per feature: categorical."""
        return np.array([kind == "categorical" for kind in self.kinds])


def encode(frame: pd.DataFrame, features: list[str]) -> Encoded:
    """`frame`'s features as numbers (see the module docstring)."""
    values = np.empty((len(frame), len(features)), dtype=np.float64)
    kinds, categories = [], []
    for j, column in enumerate(features):
        series = frame[column]
        kind = column_kind(series)
        kinds.append(kind)
        if kind == "categorical":
            texts = series.astype("string")
            found = np.array(sorted(texts.dropna().unique()), dtype=object)
            values[:, j] = _ranks(texts, found)
            categories.append(found)
        else:
            values[:, j] = numeric_values(series)
            categories.append(None)
    return Encoded(values, kinds, [frame[c].dtype for c in features], categories)


def _ranks(texts: pd.Series, categories: np.ndarray) -> np.ndarray:
    codes = pd.Categorical(texts, categories=categories).codes.astype(np.float64)
    codes[codes < 0] = np.nan
    return codes


def same_kinds(encoded: Encoded, frame: pd.DataFrame, features: list[str]) -> bool:
    """Whether `frame`'s columns, put under the encoded table's, keep each column's kind and
    values as text: the same dtype, both categorical (text is text), or both numbers."""
    for column, kind, dtype in zip(features, encoded.kinds, encoded.dtypes):
        theirs = frame[column].dtype
        if theirs == dtype or (kind == column_kind(frame[column]) and kind != "datetime"):
            continue
        return False
    return True


@dataclass
class Inputs:
    """The fit rows and the scored rows as the model takes them."""

    fit: np.ndarray
    scored: np.ndarray
    categorical: np.ndarray  # flag per column of `fit` and `scored`


def inputs(encoded: Encoded, fit_blocks: list[np.ndarray | pd.DataFrame], scored: np.ndarray,
           features: list[str]) -> Inputs:
    """The model's inputs: `fit_blocks` in order (positions of encoded rows, or generated rows
    with the features) and the encoded rows at `scored`, on shared ranks; categorical columns
    with more than `MAX_CATEGORIES` values over both left out."""
    own = [encode(b, features) if isinstance(b, pd.DataFrame) else None for b in fit_blocks]
    categories = [_union(found, [o.categories[j] for o in own if o is not None])
                  for j, found in enumerate(encoded.categories)]
    fit = np.concatenate([encoded.values[b] if o is None else _onto(o, categories)
                          for b, o in zip(fit_blocks, own)])
    scored_values = encoded.values[scored]
    real = np.concatenate([np.full(len(b), o is None) for b, o in zip(fit_blocks, own)])
    for j, (found, union) in enumerate(zip(encoded.categories, categories)):
        if union is not found:  # generated rows brought values the sample lacks: re-rank
            remap = np.searchsorted(union, found)
            for matrix, rows in ((fit, real), (scored_values, slice(None))):
                column = matrix[rows, j]
                present = ~np.isnan(column)
                column[present] = remap[column[present].astype(np.int64)]
                matrix[rows, j] = column
    keep = [j for j, union in enumerate(categories)
            if union is None or len(union) <= MAX_CATEGORIES
            or _distinct(fit[:, j], scored_values[:, j]) <= MAX_CATEGORIES]
    return Inputs(fit[:, keep], scored_values[:, keep], encoded.categorical[keep])


def _union(found: np.ndarray | None, others: list[np.ndarray]) -> np.ndarray | None:
    """The sorted texts of `found` and `others` (`found` itself when they add none)."""
    if found is None:
        return None
    extra = [o for o in others if len(np.setdiff1d(o, found))]
    return np.array(sorted(set(found).union(*extra)), dtype=object) if extra else found


def _onto(own: Encoded, categories: list[np.ndarray | None]) -> np.ndarray:
    """Generated rows' own ranks moved onto the shared categories."""
    values = own.values.copy()
    for j, union in enumerate(categories):
        if union is not None:
            present = ~np.isnan(values[:, j])
            values[present, j] = np.searchsorted(
                union, own.categories[j][values[present, j].astype(np.int64)])
    return values


def _distinct(*columns: np.ndarray) -> int:
    values = np.concatenate(columns)
    return len(np.unique(values[~np.isnan(values)]))
