"""`type: filter`."""

import re

import pytest

from builder.errors import DataError
from builder.transforms.filter import syntax_problem
from tests.transforms.conftest import apply


def test_keeps_rows_where_the_expression_is_true(reviews) -> None:
    out = apply("filter", reviews, query="stars >= 3 and text.str.len() > 2")
    assert out["_id"].tolist() == ["s/1", "s/2"]


def test_a_missing_value_counts_as_false(reviews) -> None:
    assert apply("filter", reviews, query="label == 'neg'")["_id"].tolist() == ["s/3"]
    assert apply("filter", reviews, query="text.str.contains('film')")["_id"].tolist() == [
        "s/1", "s/2"]


def test_backticks_for_names_with_spaces(reviews) -> None:
    df = reviews.rename(columns={"stars": "star rating"})
    assert len(apply("filter", df, query="`star rating` > 4")) == 2
    assert syntax_problem("`star rating` > 4") is None


def test_a_missing_column_names_the_transform_with_did_you_mean(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'good' (filter): the query 'star > 3' names 'star', which is not a "
            "column; the table has _id, _source, text, stars, label. Did you mean 'stars'?")):
        apply("filter", reviews, name="good", query="star > 3")


def test_a_query_that_is_not_true_or_false(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'good' (filter): the query 'stars + 1' gives int64, expected true/false "
            "per row.")):
        apply("filter", reviews, name="good", query="stars + 1")


def test_a_query_that_fails_on_the_data(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'good' (filter): the query 'text > 3' failed: TypeError: ")):
        apply("filter", reviews, name="good", query="text > 3")


@pytest.mark.parametrize("expression, problem", [
    ("stars >", "is not a valid expression (invalid syntax at the end)."),
    ("stars > > 3", "is not a valid expression (invalid syntax at column 9)."),
    ("stars > @limit", "uses '@' (a local variable); a recipe's expression may only name columns."),
])
def test_syntax_problems_are_found_before_any_data(expression, problem) -> None:
    assert syntax_problem(expression) == problem
