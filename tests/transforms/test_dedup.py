"""`type: dedup`."""

import re

import pytest

from builder.errors import DataError
from tests.transforms.conftest import apply


def test_dedup_on_given_columns_keeps_the_first(reviews) -> None:
    assert apply("dedup", reviews, columns=["stars"])["_id"].tolist() == ["s/1", "s/3", "s/4"]


def test_keep_last(reviews) -> None:
    assert apply("dedup", reviews, columns=["stars"], keep="last")["_id"].tolist() == [
        "s/2", "s/3", "s/4"]


def test_all_data_columns_by_default_ignoring_ids(reviews) -> None:
    df = reviews.copy()
    df.loc[1, "text"] = "Great  film"  # now rows 1 and 2 differ only in _id
    assert apply("dedup", df)["_id"].tolist() == ["s/1", "s/3", "s/4"]
    assert apply("dedup", reviews)["_id"].tolist() == ["s/1", "s/2", "s/3", "s/4"]


def test_missing_column(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'once' (dedup): column 'txt' not found; the table has _id, _source, "
            "text, stars, label. Did you mean 'text'?")):
        apply("dedup", reviews, name="once", columns=["txt"])
