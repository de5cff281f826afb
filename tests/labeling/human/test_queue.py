"""The review queue: each strategy's picks, determinism, exclusions and missing columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builder.errors import DataError
from builder.labeling.human.queue import select
from builder.recipe.schema import TaskConfig

TASK = TaskConfig(type="text-classification", text="text", label="label", classes=["pos", "neg"])
NA = None


def labeled() -> pd.DataFrame:
    """A labeled.parquet as the label stage writes it (the contract columns)."""
    s = lambda values: pd.array(values, dtype="string")  # noqa: E731
    return pd.DataFrame({
        "_id": s([f"q/{i}" for i in range(10)]),
        "text": s([f"text {i}" for i in range(10)]),
        "label": s(["pos", "pos", "neg", NA, "neg", "pos", "neg", "pos", "neg", "pos"]),
        "label_source": s(["gold", "weak", "weak", NA, "pseudo", "weak", "human", "weak", "weak",
                           "feedback"]),
        "label_confidence": [1.0, 0.55, 0.9, np.nan, 0.8, 0.6, 1.0, 0.51, 0.7, 1.0],
        "weak_label": s([NA, "pos", "neg", NA, NA, "pos", "neg", "pos", "neg", NA]),
        "weak_confidence": [np.nan, 0.55, 0.9, np.nan, np.nan, 0.6, 0.8, 0.51, 0.7, np.nan],
        "lf_conflict": [False, True, False, False, False, True, True, True, False, False],
        "model_label": s(["pos", "neg", "neg", "neg", "neg", "neg", "neg", "pos", "pos", "pos"]),
        "model_confidence": [0.9, 0.7, 0.95, 0.4, 0.8, 0.65, 0.9, 0.6, 0.75, 0.9],
    })


def picks(queue) -> list[str]:
    return queue.rows["_id"].tolist()


def test_least_confident_first_never_gold_or_human() -> None:
    queue = select(labeled(), TASK, "least_confident", budget=4, seed=1, exclude=set())
    # q/3 has no label and only a model guess (0.4); then weak 0.51, 0.55, 0.6.
    assert picks(queue) == ["q/3", "q/7", "q/1", "q/5"]
    assert queue.candidates == 8
    assert queue.rows["prediction"].tolist() == ["neg", "pos", "pos", "pos"]
    assert queue.rows["score"].tolist() == [0.4, 0.51, 0.55, 0.6]


def test_lf_conflicts_by_weak_confidence() -> None:
    queue = select(labeled(), TASK, "lf_conflict", budget=10, seed=1, exclude=set())
    assert picks(queue) == ["q/7", "q/1", "q/5"]  # q/6 is human-labeled


def test_disagreement_most_confident_first() -> None:
    queue = select(labeled(), TASK, "disagreement", budget=10, seed=1, exclude=set())
    # weak != model: q/1 (0.55 + 0.7), q/5 (0.6 + 0.65), q/8 (0.7 + 0.75)
    assert picks(queue) == ["q/8", "q/5", "q/1"]


def test_rows_with_a_human_label_in_the_store_are_not_sent_again() -> None:
    queue = select(labeled(), TASK, "least_confident", budget=4, seed=1, exclude={"q/3", "q/7"})
    assert picks(queue) == ["q/1", "q/5", "q/8", "q/4"]


def test_audit_is_a_stratified_sample_without_pre_annotations() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    df = pd.DataFrame({
        "_id": pd.array([f"a/{i}" for i in range(n)], dtype="string"),
        "text": pd.array(["t"] * n, dtype="string"),
        "label": pd.array(rng.choice(["pos", "neg"], size=n, p=[0.8, 0.2]), dtype="string"),
        "label_source": pd.array(rng.choice(["gold", "weak", "human"], size=n, p=[0.3, 0.65, 0.05]),
                                 dtype="string"),
        "label_confidence": rng.random(n),
    })
    queue = select(df, TASK, "audit", budget=40, seed=5, exclude=set())
    assert len(queue.rows) == 40
    assert queue.rows["prediction"].isna().all()
    strata = (queue.rows["label_source"] + "/" + queue.rows["label"]).value_counts().to_dict()
    pool = df[df["label_source"] != "human"]
    expected = (pool["label_source"] + "/" + pool["label"]).value_counts() / len(pool) * 40
    for name, count in strata.items():
        assert abs(count - expected[name]) < 1  # proportional, rounded by largest remainders
    assert set(strata) == set(expected.index)
    again = select(df, TASK, "audit", budget=40, seed=5, exclude=set())
    assert picks(again) == picks(queue)
    other = select(df, TASK, "audit", budget=40, seed=6, exclude=set())
    assert picks(other) != picks(queue)


def test_audit_gives_every_stratum_a_row_when_the_budget_allows() -> None:
    df = labeled()
    queue = select(df, TASK, "audit", budget=6, seed=2, exclude=set())
    rows = queue.rows
    got = set(rows["label_source"].fillna("unlabeled") + "/" + rows["label"].fillna("(none)"))
    assert got == {"gold/pos", "weak/pos", "weak/neg", "unlabeled/(none)", "pseudo/neg",
                   "feedback/pos"}


def test_ties_are_broken_by_a_seeded_hash_stable_under_new_rows() -> None:
    df = labeled().assign(label_confidence=0.5, label_source="weak")
    first = picks(select(df, TASK, "least_confident", budget=10, seed=9, exclude=set()))
    assert first == picks(select(df, TASK, "least_confident", budget=10, seed=9, exclude=set()))
    assert first != picks(select(df, TASK, "least_confident", budget=10, seed=10, exclude=set()))
    more = pd.concat([df, df.assign(_id=df["_id"] + "-new")], ignore_index=True)
    bigger = picks(select(more, TASK, "least_confident", budget=20, seed=9, exclude=set()))
    assert [i for i in bigger if not i.endswith("-new")] == first


def test_a_strategy_whose_columns_are_missing_says_what_makes_them() -> None:
    df = labeled().drop(columns=["lf_conflict", "weak_label", "model_label"])
    with pytest.raises(DataError, match=r"data/x/labeled.parquet: the 'lf_conflict' strategy "
                                        r"needs the column\(s\) 'lf_conflict', which this file "
                                        r"does not have \('lf_conflict' is what the label stage "
                                        r"writes when labeling functions are declared "
                                        r"\(labeling.functions\)\)"):
        select(df, TASK, "lf_conflict", budget=3, seed=1, exclude=set(),
               source="data/x/labeled.parquet")
    with pytest.raises(DataError, match=r"needs the column\(s\) 'weak_label', 'model_label'.*"
                                        r"Pick another strategy"):
        select(df, TASK, "disagreement", budget=3, seed=1, exclude=set())
