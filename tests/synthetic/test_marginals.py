"""Support and bounds of generated numeric columns (`builder.synthetic.marginals`, the direct
copula's decoding)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.synthetic import metadata as meta
from builder.synthetic.copula import ClassCopula
from builder.synthetic.generators.gaussian_copula import GaussianCopulaConfig
from builder.synthetic.marginals import (EmpiricalModel, Quantiles, Support, category_order,
                                         normal_scores)
from tests.conftest import REPO


def test_support_keeps_values_and_shares() -> None:
    rng = np.random.default_rng(0)
    values = rng.choice([12.0, 24.0, 36.0, 60.0], p=[0.1, 0.2, 0.3, 0.4], size=4000)
    support = Support.of(values)
    u = support.uniforms(values, rng)
    assert ((u >= 0) & (u <= 1)).all()
    assert (support.value(u) == values).all()  # a value's share maps back to it
    drawn = support.value(rng.random(20000))
    assert set(np.unique(drawn)) == {12.0, 24.0, 36.0, 60.0}
    assert abs((drawn == 60.0).mean() - (values == 60.0).mean()) < 0.02
    assert Support.of(np.arange(100.0)) is None


def test_quantiles_stay_in_range_and_keep_the_shape() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(8, 1, size=5000)
    quantiles = Quantiles.of(values)
    drawn = quantiles.value(rng.random(20000))
    assert drawn.min() >= values.min() and drawn.max() <= values.max()
    assert abs(np.median(drawn) / np.median(values) - 1) < 0.05


def test_empirical_model_keeps_correlation_and_conditions() -> None:
    rng = np.random.default_rng(2)
    x = rng.random(3000)
    y = np.clip(x + rng.normal(0, 0.05, 3000), 0, 1)
    model = EmpiricalModel().fit({"x": x, "y": y})
    drawn = model.sample(5000, {}, np.random.default_rng(3))
    assert np.corrcoef(drawn["x"], drawn["y"])[0, 1] > 0.85
    fixed = model.sample(2000, {"x": 0.9}, np.random.default_rng(4))
    assert np.allclose(fixed["x"], 0.9) and fixed["y"].mean() > 0.8


def credit_bad_rows() -> pd.DataFrame:
    frame = pd.read_csv(REPO / "recipes" / "data" / "credit_data.csv")
    return frame[frame["Status"] == "bad"].drop(columns=["Status"]).reset_index(drop=True)


@pytest.mark.parametrize("family", ["norm", "beta", "empirical"])
def test_generated_numbers_stay_on_their_support_and_in_range(family: str) -> None:
    rows = credit_bad_rows()
    metadata = meta.detect(meta.plain(rows), None, {})
    config = GaussianCopulaConfig(type="gaussian_copula", default_distribution=family)
    model = ClassCopula(config, []).fit("bad", rows, metadata, seed=1)
    drawn = model.sample(3000, seed=2)
    # Time (loan term in months) has 11 values: only those come out, about as often as real.
    assert set(drawn["Time"].dropna()) <= set(rows["Time"].dropna())
    real, made = rows["Time"].value_counts(normalize=True), drawn["Time"].value_counts(
        normalize=True)
    assert (made.reindex(real.index, fill_value=0) - real).abs().max() < 0.05
    for column in ("Seniority", "Age", "Expenses", "Income", "Amount", "Price"):
        values = drawn[column].dropna()
        assert values.min() >= rows[column].min() and values.max() <= rows[column].max()


def test_empirical_marginals_keep_a_skewed_column_s_shape() -> None:
    rows = credit_bad_rows()
    metadata = meta.detect(meta.plain(rows), None, {})
    shapes = {}
    for family in ("norm", "empirical"):
        config = GaussianCopulaConfig(type="gaussian_copula", default_distribution=family)
        drawn = ClassCopula(config, []).fit("bad", rows, metadata, seed=1).sample(3000, seed=2)
        shapes[family] = drawn["Assets"].median()
    real = rows["Assets"].median()
    assert abs(shapes["empirical"] - real) < abs(shapes["norm"] - real)


def test_empirical_copula_conditions_fix_a_number() -> None:
    rows = credit_bad_rows()
    metadata = meta.detect(meta.plain(rows), None, {})
    config = GaussianCopulaConfig(type="gaussian_copula", default_distribution="empirical")
    model = ClassCopula(config, []).fit("bad", rows, metadata, seed=1)
    old = model.sample(500, seed=3, conditions={"Age": 60})
    assert (old["Age"] == 60).all()
    assert old["Seniority"].mean() > model.sample(500, seed=3)["Seniority"].mean()


def test_categories_are_ordered_by_the_numbers_they_explain() -> None:
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1, 2, 3], 50)
    rate = np.array([3.0, 1.0, 4.0, 2.0])[codes] + rng.normal(0, 0.1, len(codes))  # set by code
    noise = rng.normal(0, 1, len(codes))
    scores = normal_scores(np.column_stack([noise, rate]))
    assert scores.shape == (200, 2) and abs(scores.mean()) < 1e-12
    np.testing.assert_array_equal(category_order(codes, 4, scores), [1, 3, 0, 2])
    # Two numbers the categories both explain: the axis of both, an order that serves both.
    scores = normal_scores(np.column_stack([rate + rng.normal(0, 0.5, len(codes)), rate]))
    np.testing.assert_array_equal(category_order(codes, 4, scores), [1, 3, 0, 2])
    np.testing.assert_array_equal(category_order(codes, 4, -scores), [2, 0, 3, 1])
    assert category_order(codes % 2, 2, scores) is None  # two categories: any order serves
    assert category_order(codes, 4, scores[:, :0]) is None  # no number to follow
    assert category_order(codes, 4, np.zeros((200, 1))) is None  # a constant number
