"""SMOTE (numeric, mixed, categorical) on tiny literal tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.balance.smote import decode, encode, smote, snap


def test_snap_moves_values_to_the_nearest_seen_value() -> None:
    grid = np.array([12.0, 24.0, 36.0, 60.0])
    assert snap(np.array([13.0, 29.9, 30.0, 47.0, 100.0, np.nan]), grid).tolist()[:5] == [
        12.0, 24.0, 24.0, 36.0, 60.0]
    assert np.isnan(snap(np.array([np.nan]), grid)[0])


NUMERIC = pd.DataFrame({
    "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
    "n": [1, 2, 3, 4, 5, 6, 100, 101, 102, 103, 104, 105],
})
LABELS = pd.Series(["min"] * 6 + ["maj"] * 6)


def test_smote_on_numbers_interpolates_within_the_class() -> None:
    new, variant = smote(NUMERIC, LABELS, "min", 5, k_neighbors=3, seed=0)
    assert variant == "SMOTE" and len(new) == 5
    assert new["x"].between(1, 6).all() and new["n"].between(1, 6).all()
    assert new["n"].dtype == np.dtype("int64") and list(new.columns) == ["x", "n"]
    again, _ = smote(NUMERIC, LABELS, "min", 5, k_neighbors=3, seed=0)
    pd.testing.assert_frame_equal(new, again)


def test_smotenc_keeps_categories_missing_values_dates_and_booleans() -> None:
    mixed = pd.DataFrame({
        "amount": [10.0, 12.0, np.nan, 11.0, 13.0, np.nan, 90.0, 95.0, 99.0, 91.0],
        "term": [12, 24, 12, 24, 12, 24, 60, 60, 48, 60],
        "home": pd.Categorical(["rent", "rent", "own", "rent", None, "rent", "own", "own", "own",
                                "own"]),
        "vip": [True, False, True, True, False, True, False, False, False, False],
        "since": pd.to_datetime(["2020-01-01", "2020-01-03", "2020-01-02", "2020-01-05",
                                 "2020-01-04", "2020-01-02", "2021-01-01", "2021-02-01",
                                 "2021-03-01", "2021-04-01"]),
    })
    labels = pd.Series(["rare"] * 6 + ["common"] * 4)
    new, variant = smote(mixed, labels, "rare", 30, k_neighbors=3, seed=5)
    assert variant == "SMOTENC" and len(new) == 30
    assert new.dtypes.to_dict() == mixed.dtypes.to_dict()
    known = new["amount"].dropna()
    assert known.between(10, 13).all()
    assert set(new["term"]) <= {12, 24}  # a discrete column stays on its grid
    assert set(new["home"].dropna()) <= {"rent", "own"}
    assert new["since"].between(pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-05")).all()
    assert new["vip"].dtype == bool


def test_smoten_for_categorical_tables() -> None:
    table = pd.DataFrame({"colour": ["red", "red", "blue", "red", "red", "blue", "green", "green",
                                     "green", "green"],
                          "size": ["s", "m", "s", "s", "m", "s", "l", "l", "l", "l"]})
    labels = pd.Series(["a"] * 6 + ["b"] * 4)
    new, variant = smote(table, labels, "a", 4, k_neighbors=3, seed=2)
    assert variant == "SMOTEN" and len(new) == 4
    assert set(new["colour"]) <= {"red", "blue"} and set(new["size"]) <= {"s", "m"}


def test_encoding_round_trips_missing_values() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": pd.Categorical(["x", None, "y"])})
    encoding = encode(frame)
    assert encoding.categorical == ["a__missing", "b"] and encoding.numeric == ["a"]
    assert encoding.X["a"].tolist() == [1.0, 2.0, 3.0]
    back = decode(encoding.X, encoding, frame)
    assert back["a"].isna().tolist() == [False, True, False]
    assert back["b"].isna().tolist() == [False, True, False] and back["b"].iloc[2] == "y"


@pytest.mark.parametrize("k", [1, 5])
def test_smote_shrinks_k_to_the_rows_there_are(k: int) -> None:
    new, _ = smote(NUMERIC, LABELS, "min", 3, k_neighbors=k, seed=0)
    assert len(new) == 3
