"""A class's Gaussian copula fitted and sampled directly: the fast path of `sampling: per_class`.

SDV's `GaussianCopulaSynthesizer` spends a fixed ~50 ms on every model in RDT's per-column
transformers (fitting them, transforming the rows, reverse-transforming every sample: pandas
calls per column and per batch) and in validating the rows, whatever their number. A 3% class's
model is nearly all of that fixed cost. This module fits the same model without it: copulas'
`GaussianMultivariate` (the model inside SDV's synthesizer), with the generator's marginal
distribution, over the encodings RDT gives SDV's Gaussian copula by default, computed with numpy:

| sdtype | encoding | decoding |
|---|---|---|
| numerical, datetime | the value (datetimes as int64 nanoseconds); missing values get the mean | clipped to the real range (`enforce_min_max_values`), rounded to the decimals the real values have (`enforce_rounding`); missing at the real rate |
| categorical, boolean | a uniform draw within the category's share of [0, 1] (shares by frequency, in the order `marginals.category_order` gives, else of first appearance; missing is a category) | the category whose share holds the value |
| ordinal | the same, in the metadata's order (`range_values`, else sorted) | the same |

The recipe's constraints go through SDV's own constraint objects, as in SDV's synthesizer: fitted
and applied to the rows before encoding (`transform`), undone on the samples
(`reverse_transform`); samples a constraint rejects are drawn again. Conditions (scenarios) fix
column values: the copula is sampled conditionally on their encodings, as SDV's
`sample_from_conditions` does for a Gaussian copula.

Differences, on purpose: an ordinal value that the metadata lists but the class's rows lack
gets no share here, where RDT's encoder gives such values 10% of the draws together (the
metadata of a per-class model comes from the whole train table, so a class would be given values
it never has). Categories are ordered by the numbers they explain, not as they come, and their
encodings keep a uniform marginal rather than the family's fit (lending_club's bad loans:
interest rate by sub-grade 0.14 -> 0.60, addr_state's shape 0.79 -> 0.94 under `norm`).

A table this cannot model as SDV would (PII columns SDV fakes, ids, numbers stored as text,
conditions on a column a constraint rewrites) goes to SDV's synthesizer instead; `blocker()` says
why.
"""

from __future__ import annotations

import math
import pickle
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from builder.columns import numeric_values
from builder.errors import DataError
from builder.synthetic.config import DIRECT_COPULA, STATISTICAL_SDTYPES, GeneratorConfig
from builder.synthetic.marginals import (EMPIRICAL, EmpiricalModel, Quantiles, Support,
                                         category_order, normal_scores)
from builder.synthetic.metadata import columns_of
from builder.synthetic.guard import condition_error, fit_errors, quiet

#: The sdtypes encoded as numbers; the others are categories.
NUMBERS = ("numerical", "datetime")
#: Every sdtype the direct copula models.
MODELLED = (*STATISTICAL_SDTYPES, "ordinal")
#: Most decimals a rounding scheme is learned for (as RDT: float precision less one digit).
MAX_DECIMALS = sys.float_info.dig - 1
#: Rounds of drawing again the rows a constraint rejects.
MAX_TRIES = 100
#: Part of the cache key of a fitted `ClassCopula`: raise it when what `fit` learns changes.
VERSION = 3
#: The marginal of a category column's encoding under a parametric family.
UNIFORM = "copulas.univariate.UniformUnivariate"


@dataclass
class NumberColumn:
    """A numerical or datetime column: its mean, range, decimals and share of missing values."""

    name: str
    kind: str
    dtype: Any
    mean: float
    low: float
    high: float
    decimals: int | None
    missing: float
    #: The values of a column with few distinct ones, generated on them (`marginals.Support`).
    support: Support | None = None
    #: The empirical marginal (`default_distribution: empirical`), when there is no support.
    quantiles: Quantiles | None = None

    @classmethod
    def fit(cls, series: pd.Series, kind: str, rounding: bool,
            empirical: bool = False) -> tuple[NumberColumn, np.ndarray]:
        """The column's parameters and its encoding (missing values as the mean)."""
        values = numeric_values(series)
        present = values[~np.isnan(values)]
        mean = float(present.mean()) if len(present) else 0.0
        low, high = (float(present.min()), float(present.max())) if len(present) else (0.0, 0.0)
        decimals = rounding_decimals(present) if rounding and kind == "numerical" else None
        support = Support.of(present) if kind == "numerical" else None
        quantiles = Quantiles.of(present) if empirical and support is None else None
        column = cls(str(series.name), kind, series.dtype, mean, low, high, decimals,
                     1 - len(present) / len(values) if len(values) else 0.0, support, quantiles)
        return column, np.where(np.isnan(values), mean, values)

    def uniforms(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The empirical model's encoding of the values: their `u`."""
        if self.support is not None:
            return self.support.uniforms(values, rng)
        return self.quantiles.uniforms(values, rng)

    def middle(self, value: float) -> float:
        """A condition's `u` for the empirical model: the middle of the value's share."""
        marginal = self.support if self.support is not None else self.quantiles
        return float(marginal.uniforms(np.array([value]), _Middle())[0])

    def from_uniforms(self, u: np.ndarray) -> np.ndarray:
        """Values from the copula's uniforms: on the support, else the empirical quantiles."""
        if self.support is not None:
            return self.support.value(u)
        return self.quantiles.value(u)

    def encode(self, value: Any, clip: bool) -> float:
        """A condition's value as the model sees it (ValueError: one it cannot make)."""
        number = float(pd.Timestamp(value).value) if self.kind == "datetime" else float(value)
        if clip and not self.low <= number <= self.high:
            raise ValueError(f"{self.name} stays within the class's train range "
                             f"({self._show(self.low)} to {self._show(self.high)}).")
        return number

    def decode(self, values: np.ndarray, clip: bool, rng: np.random.Generator) -> pd.Series:
        if clip:
            values = np.clip(values, self.low, self.high)
        if self.decimals is not None:
            values = np.round(values, self.decimals)
        values = np.where(rng.random(len(values)) < self.missing, np.nan, values)
        if self.kind == "datetime":  # numeric_values() read zoned times in UTC
            times = pd.to_datetime(pd.Series(np.round(values)).astype("Int64"), unit="ns")
            zone = getattr(self.dtype, "tz", None)
            return times.dt.tz_localize("UTC").dt.tz_convert(zone) if zone else times
        if pd.api.types.is_integer_dtype(self.dtype) and not np.isnan(values).any():
            return pd.Series(np.round(values).astype(self.dtype))
        return pd.Series(values)

    def _show(self, number: float) -> str:
        return str(pd.Timestamp(int(number))) if self.kind == "datetime" else f"{number:g}"


class _Middle:
    """Stands in for a random generator where the middle of a share is wanted."""

    def random(self, size: int) -> np.ndarray:
        return np.full(size, 0.5)


@dataclass
class CategoryColumn:
    """A categorical or boolean column: its values in order of first appearance and the upper end
    of each one's share of [0, 1]."""

    name: str
    values: np.ndarray
    upper: np.ndarray

    @classmethod
    def fit(cls, series: pd.Series, rng: np.random.Generator, order: list | None = None,
            scores: np.ndarray | None = None) -> tuple[CategoryColumn, np.ndarray]:
        """The column's parameters and its encoding: a uniform draw within each row's share.
        Categories come in `order` (an ordinal column's), else by their means of the number
        columns' normal `scores` (`marginals.category_order`), else in order of first
        appearance."""
        values, codes = _categories(series.astype(object), order)
        arranged = (category_order(codes, len(values), scores)
                    if order is None and scores is not None else None)
        if arranged is not None:
            position = np.empty_like(arranged)
            position[arranged] = np.arange(len(arranged))
            values, codes = values[arranged], position[codes]
        shares = np.bincount(codes, minlength=len(values)) / len(codes)
        upper = np.cumsum(shares)
        upper[-1] = 1.0
        lower = upper - shares
        encoded = lower[codes] + rng.random(len(codes)) * shares[codes]
        return cls(str(series.name), values, upper), encoded

    def encode(self, value: Any) -> float:
        """A condition's value as the model sees it: the middle of its share (ValueError: a
        value the class's rows lack)."""
        shares = np.diff(self.upper, prepend=0.0)
        same = np.array([known == value for known in self.values], dtype=bool)
        found = np.flatnonzero(same & (shares > 0))
        if not len(found):
            shown = ", ".join(repr(v) for v in self.values[shares > 0][:10])
            raise ValueError(f"the class's train rows have no {self.name} {value!r} (they have "
                             f"{shown}).")
        i = found[0]
        lower = self.upper[i - 1] if i else 0.0
        return float((lower + self.upper[i]) / 2)

    def decode(self, values: np.ndarray) -> pd.Series:
        index = np.searchsorted(self.upper, np.clip(values, 0.0, 1.0))
        return pd.Series(self.values[np.minimum(index, len(self.values) - 1)], dtype=object)


def _categories(values: pd.Series, order: list | None) -> tuple[np.ndarray, np.ndarray]:
    """The categories (None for missing) and each row's code: in order of first appearance, or
    in `order` (sorted values when `order` is empty), missing last."""
    if order is None:
        codes, found = pd.factorize(values, use_na_sentinel=False)
        categories = np.asarray(found, dtype=object)
        categories[pd.isna(categories)] = None
        return categories, codes
    present = values.dropna()
    known = [v for v in order if not pd.isna(v)] if order else _sorted(present.unique())
    unknown = set(present) - set(known)
    if unknown:
        raise DataError(f"synthetic: ordinal column '{values.name}' holds "
                        f"{sorted(map(str, unknown))[:3]}, which its order {known} lacks.")
    codes = pd.Categorical(values, categories=known).codes.astype(np.int64)
    categories = np.asarray(known + [None], dtype=object)
    codes[codes < 0] = len(known)  # missing values: the last category
    if not (codes == len(known)).any():
        categories = categories[:-1]
    return categories, codes


def _sorted(values: np.ndarray) -> list:
    """Values in order, numbers by value and anything else as text (as RDT orders ordinals)."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def rounding_decimals(values: np.ndarray) -> int | None:
    """The fewest decimals that keep every finite value unchanged (None: no such scheme), as
    RDT's `learn_rounding_digits`."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return None
    largest = int(np.max(np.abs(finite)))
    most = max(0, MAX_DECIMALS - (len(str(largest)) if largest else 0))
    for decimals in range(most + 1):
        if np.array_equal(np.round(finite, decimals), finite):
            return decimals
    return None


def blocker(metadata: Any, frame: pd.DataFrame, constraint_columns: set[str],
            conditions: list[dict[str, Any]]) -> str | None:
    """Why the direct copula cannot model this table as SDV's synthesizer would (None: it can)."""
    for column, entry in columns_of(metadata).items():
        sdtype = entry["sdtype"]
        if sdtype not in MODELLED or entry.get("pii"):
            return f"column '{column}' has sdtype '{sdtype}'"
        series = frame[column]
        if sdtype == "datetime" and not pd.api.types.is_datetime64_any_dtype(series.dtype):
            return f"datetime column '{column}' holds text"
        if sdtype == "numerical" and not (pd.api.types.is_numeric_dtype(series.dtype)
                                          and not pd.api.types.is_bool_dtype(series.dtype)):
            return f"numerical column '{column}' holds {series.dtype} values"
    for given in conditions:
        rewritten = sorted(constraint_columns & set(given))
        if rewritten:
            return f"a scenario fixes '{rewritten[0]}', which a constraint rewrites"
    return None


class ClassCopula:
    """A Gaussian copula of one class's rows (see the module docstring)."""

    engine = DIRECT_COPULA

    def __init__(self, config: GeneratorConfig, constraints: list[Any]):
        """`constraints`: SDV constraint objects, fitted here on the class's rows."""
        self.config = config
        self.constraints = constraints
        self.chained: list[Any] = []
        self.rejecting: list[Any] = []
        self.columns: list[NumberColumn | CategoryColumn] = []
        self.output_columns: list[str] = []
        self.model: Any = None

    def fit(self, name: str, frame: pd.DataFrame, metadata: Any, seed: int) -> ClassCopula:
        """Fit on `frame` (the class's rows, described by `metadata`); `seed` drives the draws
        that spread each category over its share."""
        from copulas.multivariate import GaussianMultivariate
        from sdv.single_table import GaussianCopulaSynthesizer

        self.output_columns = list(frame.columns)
        with quiet(), fit_errors(name):
            table, metadata = self._apply_constraints(frame, metadata)
        rng = np.random.default_rng(seed)
        entries, empirical = columns_of(metadata), self.empirical
        numbers = {column: NumberColumn.fit(table[column], entry["sdtype"],
                                            self.config.enforce_rounding, empirical)
                   for column, entry in entries.items() if entry["sdtype"] in NUMBERS}
        scores = normal_scores(np.column_stack([v for _, v in numbers.values()])
                               if numbers else np.zeros((len(table), 0)))
        encoded = {}
        for column, entry in entries.items():
            if column in numbers:
                fitted, encoded[column] = numbers[column]
                if empirical:
                    encoded[column] = fitted.uniforms(encoded[column], rng)
            else:
                order = entry.get("range_values", []) if entry["sdtype"] == "ordinal" else None
                fitted, encoded[column] = CategoryColumn.fit(table[column], rng, order, scores)
            self.columns.append(fitted)
        if empirical:
            self.model = EmpiricalModel().fit(encoded)
            return self
        # A category's encoding is uniform on [0, 1] by construction: the family's fit (a
        # normal's tails) would only move shares to the first and last categories.
        family = GaussianCopulaSynthesizer.get_distribution_class(
            self.config.default_distribution)
        self.model = GaussianMultivariate(distribution={
            c.name: family if isinstance(c, NumberColumn) else UNIFORM for c in self.columns})
        with quiet():
            self.model.fit(pd.DataFrame(encoded))
        return self

    @property
    def empirical(self) -> bool:
        """Whether the marginals are the empirical ones (`marginals.EmpiricalModel`)."""
        return getattr(self.config, "default_distribution", None) == EMPIRICAL

    def save(self, path: str) -> None:
        """Pickle the fitted model to `path` (as SDV's synthesizers' `save`)."""
        with open(path, "wb") as file:
            pickle.dump(self, file, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def load(path: Any) -> ClassCopula:
        """A model `save` wrote."""
        with open(path, "rb") as file:
            model = pickle.load(file)
        if not isinstance(model, ClassCopula):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a ClassCopula")
        return model

    def _apply_constraints(self, frame: pd.DataFrame, metadata: Any) -> tuple[pd.DataFrame, Any]:
        """Fit the constraints and rewrite the rows with them, as SDV's synthesizer does: a
        constraint whose columns an earlier one rewrote is only checked (reject sampling)."""
        original = metadata
        for constraint in self.constraints:
            try:
                updated = constraint.get_updated_metadata(metadata)
            except Exception as error:
                if type(error).__name__ != "ConstraintNotMetError":
                    raise
                constraint.get_updated_metadata(original)  # raises if it fits neither
                constraint.fit(data=frame, metadata=original)
                self.rejecting.append(constraint)
                continue
            constraint.fit(data=frame, metadata=metadata)
            frame = constraint.transform(frame)
            metadata = updated
            self.chained.append(constraint)
        return frame, metadata

    def sample(self, rows: int, seed: int, conditions: dict[str, Any] | None = None,
               owner: str = "synthetic") -> pd.DataFrame:
        """`rows` rows, a function of the model and `seed` only; `conditions` fixes values."""
        conditions = dict(conditions or {})
        try:
            given = self._encode_conditions(conditions)
        except ValueError as error:
            raise condition_error(owner, rows, conditions, str(error)) from None
        rng = np.random.default_rng(seed)
        if not self.empirical:
            self.model.set_random_state(seed)
        found: list[pd.DataFrame] = []
        have, draw = 0, rows
        for _ in range(MAX_TRIES):
            batch = self._draw(draw, given, rng)
            found.append(batch)
            have += len(batch)
            if have >= rows:
                break
            # Draw enough for the rest at the rate seen so far (at most 10x the rows asked).
            draw = min(10 * rows, math.ceil((rows - have) * draw / max(len(batch), 1)))
        out = pd.concat(found, ignore_index=True).head(rows)
        if len(out) < rows:
            raise DataError(f"{owner}: the constraints rejected all but {len(out)} of the {rows} "
                            f"rows asked for, after {MAX_TRIES} rounds. Check "
                            "synthetic.constraints against the class's train rows.")
        for column, value in conditions.items():
            out[column] = value
        return out

    def _on_support(self, column: Any, values: np.ndarray) -> np.ndarray:
        """A sampled column, moved onto its support when it has one: its `u` under the fitted
        marginal picks the value (so each value comes as often as in the real rows)."""
        if not isinstance(column, NumberColumn) or column.support is None:
            return values
        marginal = self.model.univariates[list(self.model.columns).index(column.name)]
        return column.support.value(np.asarray(marginal.cdf(values), dtype=float))

    def _encode_conditions(self, conditions: dict[str, Any]) -> dict[str, float]:
        by_name = {c.name: c for c in self.columns}
        encoded = {}
        for column, value in conditions.items():
            fitted = by_name[column]
            if isinstance(fitted, NumberColumn):
                encoded[column] = fitted.encode(value, self.config.enforce_min_max_values)
                if self.empirical:
                    encoded[column] = fitted.middle(encoded[column])
            else:
                encoded[column] = fitted.encode(value)
        return encoded

    def _draw(self, rows: int, given: dict[str, float], rng: np.random.Generator) -> pd.DataFrame:
        """Up to `rows` rows: sampled, decoded, constraints undone, rejected rows left out."""
        clip = self.config.enforce_min_max_values
        if self.empirical:
            latent = self.model.sample(rows, given, rng)
            values = {c.name: c.from_uniforms(latent[c.name]) if isinstance(c, NumberColumn)
                      else latent[c.name] for c in self.columns}
        else:
            with quiet():
                latent = self.model.sample(rows, conditions=given or None)
            values = {c.name: self._on_support(c, latent[c.name].to_numpy())
                      for c in self.columns}
        decoded = pd.DataFrame({
            c.name: (c.decode(values[c.name], clip, rng) if isinstance(c, NumberColumn)
                     else c.decode(values[c.name]))
            for c in self.columns})
        with quiet():
            for constraint in reversed(self.chained):
                decoded = constraint.reverse_transform(decoded)
                decoded = decoded[np.asarray(constraint.is_valid(decoded), dtype=bool)]
            for constraint in self.rejecting:
                decoded = decoded[np.asarray(constraint.is_valid(decoded), dtype=bool)]
        return decoded[self.output_columns].reset_index(drop=True)
