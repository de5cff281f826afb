"""Empirical marginals for the direct Gaussian copula (`default_distribution: empirical`), and
the observed support of numbers with few distinct values (any marginal family).

A parametric marginal (norm, beta...) smooths a column: a loan term of 12, 24, 36 or 60 months
comes out as any number from 12 to 60, a ratio bounded by 0 and 1 spreads past its bounds before
it is clipped, and a skewed income loses its tail. Two fixes, both through the column's
probability integral (the copula's uniform `u` of a value):

- `Support`: a numeric column with at most `SUPPORT_VALUES` distinct values is generated on the
  values it has, each as often as in the real rows: `u` picks the value whose share of [0, 1]
  holds it (whatever the marginal family, since `u` is the copula's own uniform);
- `EmpiricalModel`: the copula is fitted on the rows' ranks instead of a fitted family (each
  value's `u` is a uniform draw within its share of the empirical distribution, as categories
  are encoded) and `u` maps back through the empirical quantiles: every column keeps its real
  shape and range, and the correlations are those of the normal scores of the ranks;
- `category_order`: a category column's values are laid out on [0, 1] in the order of their
  means in the number columns, so that a Gaussian copula, which can only model monotone
  relations, keeps those relations (a loan's sub-grade and its interest rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The `default_distribution` of the empirical marginals (the direct copula's own).
EMPIRICAL = "empirical"
#: A numeric column with at most this many distinct values is generated on its observed values.
SUPPORT_VALUES = 25
#: Quantiles kept per column by an empirical marginal (a larger class keeps a grid of them).
QUANTILES = 2001
#: The uniforms are kept this far from 0 and 1 (normal scores stay finite).
EDGE = 1e-6


@dataclass
class Support:
    """A column's distinct values and the upper end of each one's share of [0, 1]."""

    values: np.ndarray
    upper: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> Support | None:
        """The support of the finite `values`, or None when they have more distinct values than
        `SUPPORT_VALUES` (or none)."""
        finite = values[np.isfinite(values)]
        distinct, counts = np.unique(finite, return_counts=True)
        if not len(distinct) or len(distinct) > SUPPORT_VALUES:
            return None
        upper = np.cumsum(counts) / counts.sum()
        upper[-1] = 1.0
        return cls(distinct, upper)

    def uniforms(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each value's `u`: a uniform draw within its share."""
        index = np.clip(np.searchsorted(self.values, values), 0, len(self.values) - 1)
        lower = np.concatenate([[0.0], self.upper[:-1]])
        return lower[index] + rng.random(len(values)) * (self.upper[index] - lower[index])

    def value(self, u: np.ndarray) -> np.ndarray:
        """The value whose share holds each `u`."""
        index = np.searchsorted(self.upper, np.clip(u, 0.0, 1.0))
        return self.values[np.minimum(index, len(self.values) - 1)]


@dataclass
class Quantiles:
    """A continuous column's empirical distribution, as a grid of its quantiles."""

    grid: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> Quantiles:
        ordered = np.sort(values[np.isfinite(values)])
        if len(ordered) > QUANTILES:
            ordered = np.quantile(ordered, np.linspace(0, 1, QUANTILES))
        return cls(ordered if len(ordered) else np.zeros(1))

    def uniforms(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each value's `u`: within the share of the grid's values equal to it."""
        n = len(self.grid)
        low = np.searchsorted(self.grid, values, side="left")
        high = np.searchsorted(self.grid, values, side="right")
        high = np.maximum(high, low + 1)
        return (low + rng.random(len(values)) * (high - low)) / n

    def value(self, u: np.ndarray) -> np.ndarray:
        """The empirical quantile of each `u`, interpolated between the grid's values."""
        if len(self.grid) == 1:
            return np.full(len(u), self.grid[0])
        positions = np.clip(u, 0.0, 1.0) * (len(self.grid) - 1)
        return np.interp(positions, np.arange(len(self.grid)), self.grid)


def normal_scores(values: np.ndarray) -> np.ndarray:
    """Each column's values (rows x columns, finite) as the normal scores of their ranks (ties
    share a rank; a constant column is all 0)."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    if not values.size:
        return np.zeros(values.shape)
    return ndtri((rankdata(values, axis=0) - 0.5) / len(values))


def category_order(codes: np.ndarray, categories: int, scores: np.ndarray) -> np.ndarray | None:
    """The order in which a category column's values take their shares of [0, 1]: by their
    place on the axis along which the categories' means of the number columns' normal scores
    (`scores`: rows x number columns, from `normal_scores`) spread most, weighted by the
    categories' rows (the first principal axis of the means; with one number, the order of its
    means). That one order keeps the most of what the category says about all the numbers
    together. None (keep the order) with fewer than 3 categories, which any order serves alike,
    or no number whose mean differs between them."""
    if categories < 3 or not scores.size:
        return None
    counts = np.bincount(codes, minlength=categories)
    means = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=categories)
                             for j in range(scores.shape[1])]) / np.maximum(counts, 1)[:, None]
    values, vectors = np.linalg.eigh(means.T @ (counts[:, None] * means))
    if values[-1] <= 1e-12:
        return None
    axis = vectors[:, -1]
    axis = axis * np.sign(axis[np.argmax(np.abs(axis))])  # the same order on any BLAS
    return np.argsort(means @ axis, kind="stable")


class EmpiricalModel:
    """A Gaussian copula over uniforms: the correlation of their normal scores."""

    def __init__(self) -> None:
        self.columns: list[str] = []
        self.correlation = np.ones((1, 1))

    def fit(self, uniforms: dict[str, np.ndarray]) -> EmpiricalModel:
        from scipy.special import ndtri

        self.columns = list(uniforms)
        scores = ndtri(np.clip(np.column_stack(list(uniforms.values())), EDGE, 1 - EDGE))
        if scores.shape[1] > 1 and len(scores) > 1:
            with np.errstate(invalid="ignore", divide="ignore"):
                correlation = np.corrcoef(scores, rowvar=False)
            correlation = np.nan_to_num(correlation)
            np.fill_diagonal(correlation, 1.0)
        else:
            correlation = np.eye(scores.shape[1])
        self.correlation = correlation
        return self

    def sample(self, rows: int, given: dict[str, float], rng: np.random.Generator) -> dict:
        """`rows` uniforms per column; `given` fixes some columns' uniforms (the draw is
        conditioned on them, as a Gaussian copula's conditional sampling)."""
        from scipy.special import ndtr, ndtri

        fixed = [self.columns.index(c) for c in given]
        free = [i for i in range(len(self.columns)) if i not in fixed]
        scores = np.zeros((rows, len(self.columns)))
        if fixed:
            z = ndtri(np.clip(np.array([given[c] for c in given]), EDGE, 1 - EDGE))
            s = self.correlation
            s_ff = s[np.ix_(free, free)]
            s_fg = s[np.ix_(free, fixed)]
            s_gg_inv = np.linalg.pinv(s[np.ix_(fixed, fixed)])
            mean = s_fg @ s_gg_inv @ z
            cov = s_ff - s_fg @ s_gg_inv @ s_fg.T
            scores[:, fixed] = z
        else:
            mean, cov = np.zeros(len(free)), self.correlation
        if free:
            scores[:, free] = rng.multivariate_normal(mean, cov, size=rows, method="eigh")
        return {c: ndtr(scores[:, i]) for i, c in enumerate(self.columns)}
