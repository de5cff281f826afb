"""`type: normalize_text`."""

import re

import pandas as pd
import pytest

from builder.columns import STRING
from builder.errors import DataError
from tests.transforms.conftest import apply, rows


def texts(*values):
    return pd.DataFrame({"text": pd.Series(values, dtype=STRING)})


def test_defaults_nfkc_collapse_whitespace_and_strip() -> None:
    out = apply("normalize_text", texts("  ﬁne\u00a0\tfilm \n", "Ｆｕｌｌ width", None),
                columns=["text"])
    assert rows(out)["text"] == ["fine film", "Full width", None]
    assert isinstance(out["text"].dtype, pd.StringDtype)


def test_lower_and_strip_html() -> None:
    out = apply("normalize_text", texts("<p>Great <b>FILM</b></p>", "no tags"),
                columns=["text"], lower=True, strip_html=True)
    assert out["text"].tolist() == ["great film", "no tags"]


def test_everything_off_leaves_text_alone() -> None:
    out = apply("normalize_text", texts("  ﬁne  <b>x</b> "), columns=["text"], unicode=None,
                collapse_whitespace=False, strip=False)
    assert out["text"].tolist() == ["  ﬁne  <b>x</b> "]


def test_missing_column(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'clean' (normalize_text): column 'body' not found; the table has _id, "
            "_source, text, stars, label.")):
        apply("normalize_text", reviews, name="clean", columns=["body"])
