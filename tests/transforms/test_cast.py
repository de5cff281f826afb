"""`type: cast`."""

import re

import pandas as pd
import pytest

from builder.errors import DataError
from tests.transforms.conftest import apply, rows


def test_casts_columns() -> None:
    df = pd.DataFrame({"stars": ["5", "1", None], "ok": ["yes", "no", "yes"],
                       "when": ["2026-01-02", "2026-02-03", None], "city": ["a", "b", "a"]})
    out = apply("cast", df, columns={"stars": "int", "ok": "bool", "when": "datetime",
                                     "city": "category"})
    assert rows(out) == {"stars": [5, 1, None], "ok": [True, False, True],
                         "when": [pd.Timestamp("2026-01-02"), pd.Timestamp("2026-02-03"), None],
                         "city": ["a", "b", "a"]}
    assert [str(t) for t in out.dtypes] == ["Int64", "bool", "datetime64[ns]", "category"]


def test_missing_column(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'types' (cast): column 'star' not found; the table has _id, _source, "
            "text, stars, label. Did you mean 'stars'?")):
        apply("cast", reviews, name="types", columns={"star": "float"})


def test_a_value_that_does_not_cast(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'types' (cast): cannot cast column 'label' to float: ")):
        apply("cast", reviews, name="types", columns={"label": "float"})
