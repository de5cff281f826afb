"""Distance to closest record, exact copies and canaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.synthetic.privacy import (canary_hits, canary_markers, distances_to_closest, encode,
                                       holdout_copies, plant_canaries, privacy_report)
from tests.conftest import REPO

KINDS = {"age": "numeric", "city": "categorical"}
TRAIN = pd.DataFrame({"age": [20.0, 40.0, 60.0], "city": ["a", "b", "a"]})


def dcr(data: pd.DataFrame, reference: pd.DataFrame = TRAIN) -> list[float]:
    ours, theirs = encode([data, reference], ["age", "city"], KINDS)
    return distances_to_closest(ours, theirs).round(4).tolist()


def test_distance_is_the_mean_of_scaled_differences_and_mismatches() -> None:
    data = pd.DataFrame({"age": [20.0, 30.0, 100.0, 40.0], "city": ["a", "a", "c", "a"]})
    # range 40: (0 + 0) / 2; (10/40 + 0) / 2; (min(40/40, 1) + 1) / 2; closest of
    # (20/40 + 0) / 2 = 0.25 and (0 + 1) / 2 = 0.5.
    assert dcr(data) == [0.0, 0.125, 1.0, 0.25]


def test_missing_values_count_one_unless_both_are_missing() -> None:
    reference = pd.DataFrame({"age": [20.0, np.nan], "city": ["a", None]})
    data = pd.DataFrame({"age": [np.nan, np.nan], "city": [None, "a"]})
    assert dcr(data, reference) == [0.0, 0.5]


def test_privacy_report_against_a_holdout() -> None:
    generated = pd.DataFrame({"age": [20.0, 50.0], "city": ["a", "a"]})
    holdout = pd.DataFrame({"age": [30.0, 45.0], "city": ["b", "b"]})
    report = privacy_report(generated, TRAIN, holdout, pd.concat([TRAIN, holdout]),
                            ["age", "city"], seed=0)
    # generated: 0 (a copy) and 10/40/2 = 0.125; holdout: 10/40/2 = 0.125 and 5/40/2 = 0.0625
    assert report == {"rows": 2, "exact_copies": 0.5, "exact_copy_rows": 1, "dcr_median": 0.0625,
                      "holdout_dcr_median": 0.0938, "dcr_ratio": 0.6667}
    assert holdout_copies(TRAIN, TRAIN.iloc[:2], ["age", "city"]) == 1.0


def test_exact_copies_ignore_dtype_differences() -> None:
    real = pd.DataFrame({"n": pd.Series([1, 2], dtype="int64"), "c": pd.Categorical(["x", "y"])})
    made = pd.DataFrame({"n": [1.0, 3.0], "c": ["x", "y"]})
    report = privacy_report(made, real, real.iloc[:0], real, ["n", "c"], seed=0)
    assert report["exact_copy_rows"] == 1 and report["dcr_ratio"] is None


def test_canaries_are_planted_and_found() -> None:
    frame = pd.DataFrame({"email": ["a@x.org", "b@x.org"], "phone": [5551234, 5555678],
                          "age": [30, 40]})
    markers = canary_markers({"email": frame["email"], "phone": frame["phone"]}, 2, seed=255)
    assert markers["email"] == ["canary-000000ff-0", "canary-000000ff-1"]
    planted = plant_canaries(frame, markers, seed=1)
    assert len(planted) == 4 and planted["email"].tolist()[2:] == markers["email"]
    assert planted["phone"].tolist()[2:] == markers["phone"]
    assert canary_hits(planted, markers) == {"email": 2, "phone": 2}
    leaked = pd.DataFrame({"name": ["canary-000000ff-1", "bob"], "phone": [1, 2]})
    assert canary_hits(leaked, markers) == {"name": 1}
    assert canary_hits(frame, markers) == {}


@pytest.mark.slow
def test_distances_equal_sdmetrics_dcr_on_real_rows() -> None:
    from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

    credit = pd.read_csv(REPO / "recipes/data/credit_data.csv")
    columns = ["Seniority", "Home", "Income", "Job", "Amount"]
    reference, data = credit.iloc[:400][columns], credit.iloc[400:520][columns]
    kinds = {c: "categorical" if c in ("Home", "Job") else "numeric" for c in columns}
    ours = distances_to_closest(*encode([data, reference], columns, kinds))
    metadata = {"columns": {c: {"sdtype": "categorical" if kinds[c] == "categorical"
                                else "numerical"} for c in columns}}
    theirs = calculate_dcr(data.reset_index(drop=True), reference.reset_index(drop=True), metadata)
    np.testing.assert_allclose(ours, theirs.to_numpy(), atol=1e-6)
