"""Feature columns, dtype conformance and generated-row assembly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from builder.columns import (STRING, assemble, concat_rows, conform, feature_columns,
                             numeric_values, sequence_ids)
from builder.recipe.schema import TaskConfig

TASK = TaskConfig(type="tabular-classification", label="y", classes=["a", "b"])


def like() -> pd.DataFrame:
    return pd.DataFrame({
        "_id": pd.Series(["s/1", "s/2"], dtype=STRING),
        "_source": pd.Series(["s", "s"], dtype=STRING),
        "x": [1, 2],
        "home": pd.Categorical(["rent", "own"]),
        "y": pd.Series(["a", "b"], dtype=STRING),
        "label_source": pd.Series(["gold", "gold"], dtype=STRING),
        "label_confidence": [1.0, 1.0],
        "flag": [True, False],
        "split": pd.Categorical(["train", "test"], categories=["train", "test"]),
        "_origin": pd.Series(["real", "real"], dtype=STRING),
    })


def test_feature_columns_leave_out_bookkeeping() -> None:
    assert feature_columns(like(), TASK) == ["x", "home", "flag"]
    chosen = TaskConfig(type="tabular-classification", label="y", classes=["a", "b"],
                        features=["home"])
    assert feature_columns(like(), chosen) == ["home"]


def test_conform_rounds_integers_and_restores_categories() -> None:
    new = pd.DataFrame({"x": [1.6, 2.2], "home": ["own", "rent"], "flag": ["True", "false"]})
    out = conform(new, like())
    assert out["x"].tolist() == [2, 2] and out["x"].dtype == np.dtype("int64")
    assert list(out["home"].cat.categories) == ["own", "rent"]
    assert out["flag"].tolist() == [True, False] and out["flag"].dtype == bool


def test_new_categories_are_kept() -> None:
    # e.g. SDV's fake values of a PII column the recipe cast to category
    fake = pd.DataFrame({"home": ["castle", "own", None]})
    out = conform(fake, like())
    assert out["home"].tolist()[:2] == ["castle", "own"] and out["home"].isna().tolist()[2]
    combined = concat_rows([like(), assemble(fake.assign(x=1, flag=True), like(), label="y",
                                             classes=["a"] * 3, origin="synthetic",
                                             ids=sequence_ids("s", 3), source="synthetic",
                                             split="train")], like())
    assert list(combined["home"].cat.categories) == ["own", "rent", "castle"]
    assert combined["home"].tolist()[:3] == ["rent", "own", "castle"]


def test_assemble_gives_generated_rows_the_table_shape() -> None:
    rows = assemble(pd.DataFrame({"x": [3.0], "home": ["own"], "flag": [True]}), like(), label="y",
                    classes=["b"], origin="smote", ids=sequence_ids("smote/b", 1), source="smote",
                    split="train")
    assert list(rows.columns) == list(like().columns)
    assert rows.iloc[0][["_id", "_source", "y", "split", "_origin"]].tolist() == [
        "smote/b/000001", "smote", "b", "train", "smote"]
    assert rows["label_source"].isna().all() and rows["label_confidence"].isna().all()
    combined = concat_rows([like(), rows], like())
    assert combined.dtypes.to_dict() == like().dtypes.to_dict()
    assert len(combined) == 3


def test_numeric_values_read_numbers_and_times_as_floats() -> None:
    np.testing.assert_array_equal(numeric_values(pd.Series([1, None, "x"], dtype=object)),
                                  [1.0, np.nan, np.nan])
    times = pd.Series(pd.to_datetime(["1970-01-01 00:00:01", None]))
    np.testing.assert_array_equal(numeric_values(times), [1e9, np.nan])
    zoned = pd.Series(pd.to_datetime(["1970-01-01 01:00:01"]).tz_localize("Europe/Paris"))
    np.testing.assert_array_equal(numeric_values(zoned), [1e9])  # UTC
