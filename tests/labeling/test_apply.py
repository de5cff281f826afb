"""Labeling functions applied to literal batches: one int8 vote per row, -1 = abstain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from builder.errors import DataError, StageError
from builder.labeling.apply import build_functions, label_matrix
from builder.labeling.config import FUNCTIONS

CLASSES = ["pos", "neg"]


def configs(**items: dict) -> dict:
    return {name: FUNCTIONS.get(item["type"]).Config(**item) for name, item in items.items()}


def votes(df: pd.DataFrame, root: Path = Path("."), batch_size: int = 2, **items: dict):
    functions = build_functions(configs(**items), CLASSES, "text", root)
    return label_matrix(df, functions, batch_size).T.tolist()


TEXT = pd.DataFrame({
    "_id": [f"s/{i}" for i in range(6)],
    "text": pd.Series(["Great movie!", "a GREATER mess", None, "not great, boring",
                       "so-so: Boring", "Crème brûlée, GREAT café"], dtype="string[pyarrow]"),
    "n": [1.0, 5.0, 3.0, None, 2.0, 9.0],
    "movie": ["Up", "Cars", "Up", "Heat", "cars", None],
})


def test_keyword_any_all_case_and_whole_word() -> None:
    assert votes(
        TEXT,
        any_word={"type": "keyword", "label": "pos", "words": ["great"]},
        two_words={"type": "keyword", "label": "neg", "words": ["boring", "mess"]},
        all_words={"type": "keyword", "label": "neg", "words": ["great", "boring"], "mode": "all"},
        substring={"type": "keyword", "label": "pos", "words": ["great"], "whole_word": False},
        cased={"type": "keyword", "label": "pos", "words": ["GREAT"], "case_sensitive": True},
        phrase={"type": "keyword", "label": "neg", "words": ["not great"]},
        accented={"type": "keyword", "label": "pos", "words": ["crème brûlée"]},
    ) == [
        [0, -1, -1, 0, -1, 0],
        [-1, 1, -1, 1, 1, -1],
        [-1, -1, -1, 1, -1, -1],
        [0, 0, -1, 0, -1, 0],
        [-1, -1, -1, -1, -1, 0],
        [-1, -1, -1, 1, -1, -1],
        [-1, -1, -1, -1, -1, 0],
    ]


def test_regex_threshold_expression_lookup(tmp_path: Path) -> None:
    (tmp_path / "movies.txt").write_text("# panned\ncars\n\nheat\n")
    assert votes(
        TEXT, root=tmp_path,
        regex={"type": "regex", "label": "neg", "pattern": r"^not\b"},
        regex_nocase={"type": "regex", "label": "pos", "pattern": r"great\b",
                      "case_sensitive": False},
        above={"type": "threshold", "label": "pos", "column": "n", "op": ">", "value": 4},
        between={"type": "threshold", "label": "neg", "column": "n", "op": "between",
                 "low": 2, "high": 3},
        short={"type": "threshold", "label": "neg", "of": "length", "op": "<=", "value": 12},
        words={"type": "threshold", "label": "pos", "of": "words", "op": ">=", "value": 4},
        expression={"type": "expression", "label": "pos", "expression": "n > 1 and movie == 'Up'"},
        inline={"type": "lookup", "label": "neg", "column": "movie", "values": ["Cars"]},
        listed={"type": "lookup", "label": "neg", "column": "movie", "file": "movies.txt",
                "case_sensitive": False},
    ) == [
        [-1, -1, -1, 1, -1, -1],
        [0, -1, -1, 0, -1, 0],
        [-1, 0, -1, -1, -1, 0],
        [-1, -1, 1, -1, 1, -1],
        [1, -1, -1, -1, -1, -1],
        [-1, -1, -1, -1, -1, 0],
        [-1, -1, 0, -1, -1, -1],
        [-1, 1, -1, -1, -1, -1],
        [-1, 1, -1, 1, 1, -1],
    ]


def test_matrix_is_int8_and_batches_agree() -> None:
    functions = build_functions(configs(g={"type": "keyword", "label": "pos", "words": ["great"]}),
                                CLASSES, "text", Path("."))
    one = label_matrix(TEXT, functions, batch_size=100)
    assert one.dtype == np.int8 and one.shape == (6, 1)
    assert label_matrix(TEXT, functions, batch_size=1).tolist() == one.tolist()


def write_module(root: Path, body: str) -> None:
    (root / "lfs").mkdir(exist_ok=True)
    (root / "lfs" / "rules.py").write_text(body)


def test_python_function_batch_and_rowwise(tmp_path: Path) -> None:
    write_module(tmp_path, (
        "def names(batch):\n"
        "    return ['neg' if n and n > 4 else None for n in batch['n'].fillna(0)]\n"
        "def flags(batch):\n"
        "    return batch['movie'].fillna('').str.startswith('C').to_numpy()\n"
        "def one(row):\n"
        "    return 0 if row['text'] and 'movie' in row['text'] else -1\n"))
    assert votes(
        TEXT, root=tmp_path,
        names={"type": "python", "function": "lfs.rules:names"},
        flags={"type": "python", "label": "neg", "function": "lfs.rules:flags"},
        one={"type": "python", "function": "lfs.rules:one", "rowwise": True},
    ) == [
        [-1, 1, -1, -1, -1, 1],
        [-1, 1, -1, -1, -1, -1],
        [0, -1, -1, -1, -1, -1],
    ]


def test_failing_python_function_names_itself_and_the_rows(tmp_path: Path) -> None:
    write_module(tmp_path, "def fragile(batch):\n"
                           "    return [1 / (n - 3) > 0 for n in batch['n'].fillna(0)]\n")
    with pytest.raises(StageError, match=r"labeling function 'fragile' \(python\) failed on rows "
                                         r"'s/2': ZeroDivisionError: float division by zero"):
        votes(TEXT, root=tmp_path, batch_size=4,
              fragile={"type": "python", "label": "neg", "function": "lfs.rules:fragile"})


def test_python_function_with_wrong_answers(tmp_path: Path) -> None:
    write_module(tmp_path, "def short(batch):\n    return [None]\n"
                           "def unknown(batch):\n    return ['meh'] * len(batch)\n"
                           "def flags(batch):\n    return [True] * len(batch)\n")
    with pytest.raises(DataError, match="returned 1 values for a batch of 2 rows"):
        votes(TEXT, root=tmp_path, f={"type": "python", "function": "lfs.rules:short"})
    with pytest.raises(DataError, match=r"returned 'meh'; expected a class of task.classes"):
        votes(TEXT, root=tmp_path, f={"type": "python", "function": "lfs.rules:unknown"})
    with pytest.raises(DataError, match="returned true/false, so `label:` must name the class"):
        votes(TEXT, root=tmp_path, f={"type": "python", "function": "lfs.rules:flags"})


def test_failing_expression_names_the_function() -> None:
    with pytest.raises(StageError, match=r"labeling function 'odd' \(expression\) failed on "
                                         r"rows 's/0', 's/1': UndefinedVariableError: "
                                         r"name 'rating' is not defined"):
        votes(TEXT, odd={"type": "expression", "label": "pos", "expression": "rating > 3"})


def test_missing_column_and_text_threshold_on_numbers() -> None:
    with pytest.raises(DataError, match=r"column 'title' not found"):
        votes(TEXT, k={"type": "keyword", "label": "pos", "words": ["a"], "column": "title"})
    with pytest.raises(DataError, match=r"column 'text' holds string, expected numbers; use "
                                        r"`of: length`"):
        votes(TEXT, t={"type": "threshold", "label": "pos", "column": "text", "op": ">",
                       "value": 1})


def test_python_function_returning_nullable_booleans_abstains_where_missing(
        tmp_path: Path) -> None:
    write_module(tmp_path, "def mentions(batch):\n"
                           "    return batch['text'].str.contains('great', case=False)\n")
    assert votes(TEXT, root=tmp_path, f={"type": "python", "label": "neg",
                                         "function": "lfs.rules:mentions"}) == [
        [1, 1, -1, 1, -1, 1]]


def test_expression_on_a_column_of_objects() -> None:
    # A comparison on a column of Python objects gives true, false or None per row ...
    assert votes(TEXT, c={"type": "expression", "label": "neg",
                          "expression": "movie.str.startswith('C')"}) == [[-1, 1, -1, -1, -1, -1]]
    # ... the column itself is text, not a vote.
    with pytest.raises(DataError, match=r"labeling function 'm' \(expression\): the expression "
                                        r"'movie' gives object, expected true/false per row"):
        votes(TEXT, m={"type": "expression", "label": "neg", "expression": "movie"})
