"""The review queue whatever the strategy: exclusions, determinism, missing columns, names."""

from __future__ import annotations

import pandas as pd
import pytest

from builder.errors import DataError
from builder.labeling.human.queue import select
from tests.labeling.human.strategies.rows import TASK, labeled, picks


def test_rows_with_a_human_label_in_the_store_are_not_sent_again() -> None:
    queue = select(labeled(), TASK, "least_confident", budget=4, seed=1, exclude={"q/3", "q/7"})
    assert picks(queue) == ["q/1", "q/5", "q/8", "q/4"]


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
