"""Cross-validation of balance candidates: the sample is encoded once for every fold and
candidate, and the scores are those of the efficacy model fitted on each plan's rows as
`fit_model` fits them (`builder.balance.crossval`, `builder.balance.encoded`)."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from builder.balance import crossval, encoded
from builder.balance.cache import ScoreCache
from builder.balance.candidates import candidate
from builder.balance.choose import folds_of
from builder.balance.config import SelectConfig
from builder.balance.scores import score
from builder.synthetic import efficacy

FEATURES = ["amount", "ratio", "city", "member", "opened", "grade", "code"]


def table(n: int = 900, seed: int = 0) -> pd.DataFrame:
    """Mixed columns: integers, floats with gaps, text with gaps, booleans, datetimes, a
    pandas category, and a text column with more values than the model bins."""
    rng = np.random.default_rng(seed)
    bad = rng.random(n) < 0.15
    ratio = rng.normal(bad * 0.8, 1.0)
    ratio[rng.random(n) < 0.1] = np.nan
    city = rng.choice(["Lyon", "Oslo", "Ávila", "bern", "Zug"], n).astype(object)
    city[rng.random(n) < 0.08] = None
    return pd.DataFrame({
        "_id": [f"row{i}" for i in range(n)],
        "amount": rng.integers(0, 50, n) + bad * 7,
        "ratio": ratio,
        "city": pd.Series(city, dtype="string"),
        "member": rng.random(n) < 0.4 + bad * 0.3,
        "opened": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
        "grade": pd.Categorical(rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])),
        "code": [f"c{v}" for v in rng.integers(0, 400, n)],
        "label": np.where(bad, "bad", "good"),
    })


def folds_for(frame: pd.DataFrame) -> crossval.Folds:
    return folds_of(frame, "label", FEATURES, None, None, SelectConfig(), seed=5)


def seed(*names) -> int:
    return zlib.crc32(repr(names).encode())


def fake_generator(rows: pd.DataFrame, wanted: dict[str, int], seed_: int) -> pd.DataFrame:
    """Rows of the wanted classes with values the sample lacks (like a generator's fake
    PII), in the sample's dtypes."""
    rng = np.random.default_rng(seed_)
    picked = [rows[rows["label"] == c].sample(n, replace=True, random_state=seed_)
              for c, n in wanted.items()]
    new = pd.concat(picked, ignore_index=True)
    new["city"] = pd.Series(rng.choice(["Aarau", "Zürich", "Lyon"], len(new)), dtype="string")
    new["ratio"] = new["ratio"] + rng.normal(0, 0.1, len(new))
    return new[[*FEATURES, "label"]]


@pytest.mark.parametrize("name", ["keep", "oversample", "undersample", "smote", "synthetic"])
def test_encoded_fits_equal_fit_model_on_the_plans_rows(name: str) -> None:
    # What fit_model gives on every fold's rows, predictions and probabilities to the bit:
    # text ranks, gaps, booleans, datetimes, categories, new values from a generator and a
    # column left out for its 400 values (but where under-sampling leaves fewer).
    data = folds_for(table())
    labels = data.rows["label"].astype(str).to_numpy()
    sample = encoded.encode(data.rows, FEATURES)
    before = {"good": int((labels == "good").sum()), "bad": int((labels == "bad").sum())}
    for fold in range(data.count):
        fitting = data.folds != fold
        fit = data.rows[fitting].reset_index(drop=True)
        counts = {c: int((labels[fitting] == c).sum()) for c in before}
        plan = candidate(name, counts, {c: max(before.values()) * counts[c] // before[c]
                                        if c == "bad" else counts[c] for c in before})
        plans = plan.plans(counts, "test", "auto")
        fold_seed = lambda *more: seed(fold, *more)  # noqa: E731
        frame = crossval.apply(fit, plans, data, 5, fold_seed, fake_generator)
        valid = data.rows[~fitting].reset_index(drop=True)
        expected = crossval.predict(frame, valid, data, 11, True)
        fit[crossval.POSITION] = np.flatnonzero(fitting)
        built = crossval.resample(fit, plans, data, 5, fold_seed, fake_generator)
        found = crossval.predict_encoded(built, np.flatnonzero(~fitting), data, sample, labels,
                                         11, True)
        assert len(built.labels(labels, "label")) == len(frame)
        assert np.array_equal(found[0], expected[0])
        assert np.array_equal(found[1], expected[1])
        assert found[2] == expected[2]


def test_a_column_past_the_models_categories_is_left_out_only_when_it_is() -> None:
    frame = table(300)
    frame["code"] = [f"c{i % 260}" for i in range(len(frame))]
    sample = encoded.encode(frame, FEATURES)
    everything = encoded.inputs(sample, [np.arange(150)], np.arange(150, 300), FEATURES)
    assert everything.fit.shape[1] == len(FEATURES) - 1  # 260 values over fit and scored rows
    fewer = encoded.inputs(sample, [np.arange(100)], np.arange(100, 200), FEATURES)
    assert fewer.fit.shape[1] == len(FEATURES)  # 200 values there
    assert list(fewer.categorical) == [False, False, True, True, False, True, True]


def test_generated_rows_of_another_kind_go_through_fit_model(monkeypatch) -> None:
    data = folds_for(table(300))
    sample = encoded.encode(data.rows, FEATURES)
    odd = data.rows[FEATURES + ["label"]].head(20).assign(amount=lambda d: d["amount"].astype(str))
    assert not encoded.same_kinds(sample, odd, FEATURES)
    assert encoded.same_kinds(sample, data.rows.head(3).astype({"amount": "float64"}), FEATURES)
    calls = []
    monkeypatch.setattr(crossval, "predict", lambda *a: calls.append(a) or (None, None, []))
    built = crossval.Built([np.arange(100), odd])
    crossval.predict_encoded(built, np.arange(100, 150), data, sample,
                             data.rows["label"].astype(str).to_numpy(), 1, False)
    assert len(calls) == 1 and len(calls[0][0]) == 120


def test_the_sample_is_encoded_once_and_shared_plans_fitted_once(monkeypatch) -> None:
    data = folds_for(table())
    labels = data.rows["label"].astype(str).to_numpy()
    before = {"good": int((labels == "good").sum()), "bad": int((labels == "bad").sum())}
    targets = {"good": before["good"], "bad": before["good"]}
    calls = {"encode": 0, "fits": 0, "table_features": 0}
    real_encode, real_fit = crossval.encode, crossval.predict_encoded

    def counted_encode(*args):
        calls["encode"] += 1
        return real_encode(*args)

    def counted_fit(*args):
        calls["fits"] += 1
        return real_fit(*args)

    def no_table_features(*args):
        calls["table_features"] += 1
        raise AssertionError("fit_model's per-fit encoding")

    monkeypatch.setattr(crossval, "encode", counted_encode)
    monkeypatch.setattr(crossval, "predict_encoded", counted_fit)
    monkeypatch.setattr(efficacy, "_table_features", no_table_features)
    # `again` is `oversample` under another name: the same plan on every fold.
    make = lambda name, counts, fold_targets: candidate(  # noqa: E731
        "oversample" if name == "again" else name, counts, fold_targets)
    names = ["keep", "oversample", "again", "smote"]
    found = crossval.cross_validate(data, before, targets, names, make,
                                    score("balanced_accuracy"), 5, seed, None,
                                    ScoreCache(None, ["test"]), threads=2)
    assert calls == {"encode": 1, "fits": 3 * 3, "table_features": 0}
    assert found.folds["again"] == found.folds["oversample"]
    assert all(0 < v <= 1 for values in found.folds.values() for v in values)
