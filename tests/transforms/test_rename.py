"""`type: rename`."""

import re

import pytest

from builder.errors import DataError
from tests.transforms.conftest import apply


def test_renames_columns(reviews) -> None:
    out = apply("rename", reviews, columns={"text": "body", "stars": "rating"})
    assert list(out.columns) == ["_id", "_source", "body", "rating", "label"]
    assert out["rating"].tolist() == [5, 5, 1, 3]


def test_swapping_two_names_is_fine(reviews) -> None:
    out = apply("rename", reviews, columns={"text": "label", "label": "text"})
    assert out["text"].tolist()[:2] == ["pos", "pos"]


def test_missing_column_names_the_transform_with_did_you_mean(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'names' (rename): column 'txet' not found; the table has _id, _source, "
            "text, stars, label. Did you mean 'text'?")):
        apply("rename", reviews, name="names", columns={"txet": "body"})


def test_renaming_onto_an_existing_column(reviews) -> None:
    with pytest.raises(DataError, match=re.escape(
            "transform 'names' (rename): renaming 'text' to 'label' gives two columns named "
            "'label'; expected a new name, or drop the existing 'label' first.")):
        apply("rename", reviews, name="names", columns={"text": "label"})
