"""`type: drop`."""

import re

import pytest

from builder.errors import DataError
from tests.transforms.conftest import apply


def test_drops_columns(reviews) -> None:
    assert list(apply("drop", reviews, columns=["stars", "label"]).columns) == [
        "_id", "_source", "text"]


def test_missing_column(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'd' (drop): column 'labels' not found; the table has _id, _source, text, "
            "stars, label. Did you mean 'label'?")):
        apply("drop", reviews, name="d", columns=["labels"])
