"""`type: drop_missing`."""

import re

import pytest

from builder.errors import DataError
from tests.transforms.conftest import apply


def test_any_missing_in_the_given_columns_blank_text_counts(reviews) -> None:
    assert apply("drop_missing", reviews, columns=["text"])["_id"].tolist() == ["s/1", "s/2"]


def test_blank_is_not_missing_when_told(reviews) -> None:
    out = apply("drop_missing", reviews, columns=["text"], blank_is_missing=False)
    assert out["_id"].tolist() == ["s/1", "s/2", "s/4"]


def test_how_all(reviews) -> None:
    assert apply("drop_missing", reviews, columns=["text", "label"], how="all")[
        "_id"].tolist() == ["s/1", "s/2", "s/3"]


def test_all_data_columns_by_default(reviews) -> None:
    assert apply("drop_missing", reviews)["_id"].tolist() == ["s/1", "s/2"]


def test_missing_column(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'gaps' (drop_missing): column 'lable' not found; the table has _id, "
            "_source, text, stars, label. Did you mean 'label'?")):
        apply("drop_missing", reviews, name="gaps", columns=["lable"])
