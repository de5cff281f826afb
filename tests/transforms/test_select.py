"""`type: select`."""

import re

import pytest

from builder.errors import DataError
from tests.transforms.conftest import apply


def test_keeps_bookkeeping_and_the_listed_columns_in_order(reviews) -> None:
    out = apply("select", reviews, columns=["label", "text"])
    assert list(out.columns) == ["_id", "_source", "label", "text"]
    assert len(out) == 4


def test_missing_column(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'keep' (select): column 'stras' not found; the table has _id, _source, "
            "text, stars, label. Did you mean 'stars'?")):
        apply("select", reviews, name="keep", columns=["text", "stras"])
