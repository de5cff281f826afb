"""`type: jsonl`: JSON Lines read by pyarrow, with pandas as the fallback for varying types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builder.errors import DataError
from builder.sources.base import FileSourceConfig
from builder.sources.jsonl import JsonlSource


def read(path: str, root: Path):
    return JsonlSource("logs", FileSourceConfig(type="jsonl", path=path), root).read()


def test_reads_objects_with_nested_values(project) -> None:
    project.write("logs.jsonl", '{"text": "good", "stars": 5, "tags": ["a"]}\n'
                                '{"text": "bad", "stars": null, "tags": []}\n')
    assert read("logs.jsonl", project.root).to_pydict() == {
        "text": ["good", "bad"], "stars": [5, None], "tags": [["a"], []]}


def test_a_column_whose_type_varies_falls_back_to_pandas_as_strings(project) -> None:
    project.write("logs.jsonl", '{"text": "good", "stars": 5}\n'
                                '{"text": "bad", "stars": "two"}\n'
                                '{"text": "meh", "stars": null}\n')
    table = read("logs.jsonl", project.root)
    assert table.to_pydict() == {"text": ["good", "bad", "meh"], "stars": ["5", "two", None]}


def test_varying_types_then_a_cast_names_the_bad_value(ingest, project) -> None:
    project.write("logs.jsonl", '{"text": "good", "stars": 5, "label": "pos"}\n'
                                '{"text": "bad", "stars": "two", "label": "neg"}\n')
    with pytest.raises(DataError, match=re.escape(
            "source 'logs': cannot cast column 'stars' to int: ")):
        ingest("logs: {type: jsonl, path: logs.jsonl, cast: {stars: int}}")


def test_not_json_names_the_source_and_the_file(project) -> None:
    project.write("logs.jsonl", '{"text": "good"}\nthis is not json\n')
    with pytest.raises(DataError, match=re.escape("source 'logs' (jsonl): cannot read ")
                       + r"\S*logs\.jsonl: line 2: is not valid JSON .*expected one object"):
        read("logs.jsonl", project.root)
