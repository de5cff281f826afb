"""Row ids (`_id`) from key columns or a content hash, and casts, on tiny literal frames."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from builder.columns import (STRING, cast_series, hex64, row_ids, seeded_hashes, text_hashes,
                             unhex64, unit_hashes)
from builder.errors import DataError
from tests.conftest import REPO


def reviews() -> pd.DataFrame:
    return pd.DataFrame({"text": pd.Series(["good", "bad", "good"], dtype=STRING),
                         "stars": [5, 1, 5]})


def test_ids_from_key_columns() -> None:
    df = pd.DataFrame({"shop": ["a", "a", "b"], "n": [1, 2, 1]})
    assert row_ids(df[:2], "orders", ["n"], "o").tolist() == ["orders/1", "orders/2"]
    assert row_ids(df, "orders", ["shop", "n"], "o").tolist() == [
        "orders/a/1", "orders/a/2", "orders/b/1"]


def test_duplicate_keys_are_an_error() -> None:
    df = pd.DataFrame({"shop": ["a", "a", "b"], "n": [1, 2, 1]})
    with pytest.raises(DataError, match=re.escape(
            "source 'orders': key ['n'] is not unique: 1 repeated values, e.g. orders/1. "
            "Expected one row per key: add columns to `key`, or leave `key` out")):
        row_ids(df, "orders", ["n"], "source 'orders'")


def test_missing_key_values_are_an_error() -> None:
    df = pd.DataFrame({"n": [1.0, None]})
    with pytest.raises(DataError, match=re.escape(
            "source 'orders': key column 'n' has 1 missing values; expected a value in every "
            "row.")):
        row_ids(df, "orders", ["n"], "source 'orders'")


def test_content_hash_ids_are_stable_literal_values() -> None:
    assert row_ids(reviews(), "shop", None, "o").tolist() == [
        "shop/1aafe8f5c2427b5f", "shop/75629a250a4fc4f9", "shop/1aafe8f5c2427b5f-1"]


def test_content_hash_ids_are_the_same_in_a_new_process() -> None:
    code = ("import pandas as pd; from builder.columns import row_ids, STRING; "
            "df = pd.DataFrame({'text': pd.Series(['good', 'bad', 'good'], dtype=STRING), "
            "'stars': [5, 1, 5]}); print(' '.join(row_ids(df, 'shop', None, 'o')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, check=True)
    assert result.stdout.split() == row_ids(reviews(), "shop", None, "o").tolist()


def test_content_hash_ignores_column_order_and_row_position() -> None:
    df = reviews()
    assert row_ids(df[["stars", "text"]], "shop", None, "o").tolist() == row_ids(
        df, "shop", None, "o").tolist()
    # a row keeps its id when other rows come before it
    shifted = pd.concat([pd.DataFrame({"text": pd.Series(["new"], dtype=STRING), "stars": [3]}),
                         df], ignore_index=True)
    assert row_ids(shifted, "shop", None, "o")[1:].tolist() == row_ids(
        df, "shop", None, "o").tolist()


def test_duplicate_rows_get_distinct_ids_and_values_matter() -> None:
    ids = row_ids(reviews(), "shop", None, "o")
    assert ids.is_unique
    changed = reviews().assign(stars=[4, 1, 5])
    assert row_ids(changed, "shop", None, "o").tolist()[1:] == [
        "shop/75629a250a4fc4f9", "shop/1aafe8f5c2427b5f"]


@pytest.mark.parametrize("type_name, values, expected", [
    ("int", ["1", "2", None], [1, 2, None]),
    ("float", ["1.5", "2", None], [1.5, 2.0, None]),
    ("bool", ["yes", "False", "1"], [True, False, True]),
    ("string", [1, None, 3], ["1", None, "3"]),
    ("category", ["a", "b", "a"], ["a", "b", "a"]),
    ("datetime", ["2026-01-02", "2026-03-04 05:06", None],
     [pd.Timestamp("2026-01-02"), pd.Timestamp("2026-03-04 05:06"), None]),
])
def test_casts(type_name, values, expected) -> None:
    cast = cast_series(pd.Series(values, name="c", dtype=object), type_name, "t")
    assert cast.astype(object).where(cast.notna(), None).tolist() == expected


def test_a_date_that_does_not_parse_is_one_line() -> None:
    with pytest.raises(DataError, match=r"^transform 't': cannot cast column 'c' to datetime: "
                       r"[^\n]*position 1[^\n]*$"):
        cast_series(pd.Series(["2026-01-02", "someday"], name="c"), "datetime", "transform 't'")


def test_a_value_that_does_not_cast_names_the_column() -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 't': cannot cast column 'c' to bool: found 'maybe', expected true/false, "
            "yes/no or 1/0")):
        cast_series(pd.Series(["yes", "maybe"], name="c"), "bool", "transform 't'")


def test_unhex64_inverts_hex64() -> None:
    values = np.array([0, 1, 2**64 - 1, 0x0123456789ABCDEF], dtype=np.uint64)
    text = hex64(values).to_numpy(zero_copy_only=False)
    assert text.tolist() == ["0000000000000000", "0000000000000001", "ffffffffffffffff",
                             "0123456789abcdef"]
    assert unhex64(text).tolist() == values.tolist()
    assert unhex64(np.array([], dtype=object)).tolist() == []


@pytest.mark.parametrize("hash_key", [None, "0123456789abcdef"])
def test_text_hashes_are_pandas_hashes_of_the_strings(hash_key) -> None:
    import pyarrow as pa

    values = ["a", "é€ü", None, "", "row/12", "x" * 300, "a"]
    series = pd.Series(values, dtype=STRING)
    keyed = {} if hash_key is None else {"hash_key": hash_key}
    expected = pd.util.hash_pandas_object(series, index=False, categorize=False,
                                          **keyed).to_numpy()
    assert text_hashes(series, hash_key).tolist() == expected.tolist()
    assert text_hashes(pa.array(values, pa.large_string()), hash_key).tolist() == \
        expected.tolist()
    assert text_hashes(pa.chunked_array([values[:3], values[3:]]), hash_key).tolist() == \
        expected.tolist()
    # a column of another type is hashed as its text
    assert text_hashes(pd.Series([12, 7]), hash_key).tolist() == \
        text_hashes(pd.Series(["12", "7"], dtype=STRING), hash_key).tolist()


def test_seeded_hashes_are_keyed_by_salt_and_seed() -> None:
    import hashlib

    ids = pd.Series(["r1", "r2", "r3", "r1"], dtype=STRING)
    key = hashlib.sha256(b"split/7").hexdigest()[:16]
    expected = pd.util.hash_pandas_object(ids, index=False, categorize=False,
                                          hash_key=key).to_numpy()
    assert seeded_hashes(ids, 7, "split").tolist() == expected.tolist()
    assert seeded_hashes(ids, 8, "split").tolist() != expected.tolist()
    assert seeded_hashes(ids, 7, "augment").tolist() != expected.tolist()
    units = unit_hashes(ids, 7, "split")
    assert units.tolist() == ((expected >> np.uint64(11)) / float(1 << 53)).tolist()
    assert ((units >= 0) & (units < 1)).all() and units[0] == units[3]
