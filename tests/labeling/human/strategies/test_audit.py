"""`audit`: a stratified, seeded sample without pre-annotations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from builder.labeling.human.queue import select
from tests.labeling.human.strategies.rows import TASK, labeled, picks


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
