"""Generated rows are compared with real rows of the same classes, in the same mix."""

from __future__ import annotations

import pandas as pd
import pytest

from builder.synthetic.quality import column_summaries, matched_reference, quality_report
from tests.conftest import REPO


def test_reference_matches_the_class_mix_of_generated_rows() -> None:
    real = pd.DataFrame({"x": range(10), "y": ["a"] * 6 + ["b"] * 4})
    wanted = pd.Series(["b"] * 8 + ["a"] * 8)  # half and half: 'b' (4 rows) binds
    reference = matched_reference(real, real["y"], wanted, seed=0)
    assert reference["y"].value_counts().to_dict() == {"a": 4, "b": 4}
    assert reference.index.is_monotonic_increasing
    only_b = matched_reference(real, real["y"], pd.Series(["b"] * 3), seed=0)
    assert only_b["x"].tolist() == [6, 7, 8, 9]
    assert matched_reference(real, real["y"], pd.Series(["c"]), seed=0).empty


def test_column_summaries() -> None:
    frame = pd.DataFrame({"n": [1.0, 3.0, None, 2.0], "c": ["x", "x", "y", "x"]})
    assert column_summaries(frame, ["n", "c"]) == {"n": "mean 2 (sd 1), 25% missing", "c": "x 75%"}


@pytest.mark.slow
def test_quality_report_on_real_rows() -> None:
    from sdv.metadata import Metadata

    credit = pd.read_csv(REPO / "recipes/data/credit_data.csv")
    metadata = Metadata.detect_from_dataframes({"table": credit})
    first, second = credit.iloc[:2000], credit.iloc[2000:]
    report = quality_report(first, second, metadata)  # two halves of one table: high quality
    assert report["score"] > 0.9 and report["validity"] > 0.9
    assert report["columns"]["Home"]["metric"] == "TVComplement"
    shuffled = pd.DataFrame({name: second[name].sample(frac=1, random_state=i).to_numpy()
                             for i, name in enumerate(second.columns)})
    worse = quality_report(first, shuffled, metadata)  # same marginals, pairs broken
    assert worse["column_shapes"] == report["column_shapes"]
    assert worse["column_pair_trends"] < report["column_pair_trends"] - 0.05


@pytest.mark.slow  # SDMetrics
def test_pairs_of_a_number_and_a_category_are_binned_on_the_real_edges() -> None:
    import numpy as np
    from sdv.metadata import Metadata

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 400)
    real = pd.DataFrame({"x": np.append(x, 3.0), "k": np.append(np.where(x > 0.5, "hi", "lo"),
                                                                 "hi")})
    generated = real.iloc[:400].sample(frac=1, random_state=1).reset_index(drop=True)
    metadata = Metadata.detect_from_dataframes({"table": real})
    report = quality_report(real, generated, metadata)
    # The same rows but the outlier: x and k keep their relation on the real bins.
    assert report["column_pair_trends"] > 0.95
    # SDMetrics 0.32's report bins the generated x on its own range (0-1, the real one 0-3).
    assert report["sdmetrics_score"] < report["score"] - 0.2
