"""Fitting, caching and seeded sampling of every SDV generator type."""

from __future__ import annotations

import pandas as pd
import pytest

from builder.errors import DataError
from builder.synthetic import metadata as meta
from builder.synthetic.config import GENERATORS
from builder.synthetic.models import Models, sample
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # SDV


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    frame = pd.read_csv(REPO / "recipes/data/credit_data.csv")
    return frame[["Status", "Home", "Age", "Income", "Amount"]].head(300)


def models(kind: str, cache, **options) -> Models:
    config = GENERATORS.get(kind).Config(type=kind, **options)
    return Models(GENERATORS.get(kind)(config), [], cache, log=messages.append)


messages: list[str] = []


def test_a_fitted_model_is_cached_and_sampled_reproducibly(credit, tmp_path) -> None:
    metadata = meta.detect(credit, "Status", {})
    messages.clear()
    first = models("gaussian_copula", tmp_path).fit("all", credit, metadata, seed=1)
    assert messages[-1].startswith("fitted gaussian_copula 'all' on 300 rows")
    assert len(list(tmp_path.glob("gaussian_copula-*.pkl"))) == 1
    second = models("gaussian_copula", tmp_path).fit("all", credit, metadata, seed=1)
    assert messages[-1].startswith("reused the cached gaussian_copula 'all'")
    rows = sample(first, 50, seed=7)
    pd.testing.assert_frame_equal(rows, sample(second, 50, seed=7))
    pd.testing.assert_frame_equal(rows, sample(first, 50, seed=7))  # not the continued stream
    assert not rows.equals(sample(first, 50, seed=8))
    models("gaussian_copula", tmp_path).fit("all", credit.head(299), metadata, seed=1)
    assert messages[-1].startswith("fitted")  # other rows, another key


def test_conditions_that_cannot_be_met_are_data_errors(credit, tmp_path) -> None:
    metadata = meta.detect(credit, "Status", {})
    model = models("gaussian_copula", tmp_path).fit("all", credit, metadata, seed=1)
    rows = sample(model, 20, seed=1, conditions={"Status": "bad"})
    assert (rows["Status"] == "bad").all() and len(rows) == 20
    with pytest.raises(DataError, match=r"scenario x: SDV could not sample 5 rows with "
                                        r"Home='castle'"):
        sample(model, 5, seed=1, conditions={"Home": "castle"}, owner="scenario x")


@pytest.mark.parametrize("kind", ["ctgan", "tvae", "copulagan"])
def test_neural_generators_fit_and_repeat_exactly(kind, credit, tmp_path) -> None:
    metadata = meta.detect(credit, "Status", {})
    options = {"epochs": 2, "batch_size": 100}
    one = models(kind, tmp_path / "a", **options).fit("all", credit, metadata, seed=3)
    two = models(kind, tmp_path / "b", **options).fit("all", credit, metadata, seed=3)
    rows = sample(one, 40, seed=5)
    assert len(rows) == 40 and set(rows["Status"]) <= {"good", "bad"}
    pd.testing.assert_frame_equal(rows, sample(two, 40, seed=5))  # fitted twice, same seed
