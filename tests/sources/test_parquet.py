"""`type: parquet`: several files through a glob, typed columns, a corrupt file."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder.errors import DataError
from builder.sources.base import FileSourceConfig
from builder.sources.parquet import ParquetSource


def read(path: str, root: Path) -> pa.Table:
    return ParquetSource("lake", FileSourceConfig(type="parquet", path=path), root).read()


def test_glob_over_files_keeps_types(project) -> None:
    (project.root / "lake").mkdir()
    pq.write_table(pa.table({"text": ["a", "b"], "stars": pa.array([1, 2], pa.int16())}),
                   project.root / "lake/b.parquet")
    pq.write_table(pa.table({"text": ["c"], "stars": pa.array([3], pa.int16()),
                             "ok": [True]}), project.root / "lake/a.parquet")
    table = read("lake/*.parquet", project.root)
    assert table.to_pydict() == {"text": ["c", "a", "b"], "stars": [3, 1, 2],
                                 "ok": [True, None, None]}
    assert table.schema.field("stars").type == pa.int16()


def test_corrupt_file_names_the_source_and_the_file(project) -> None:
    project.write("lake/a.parquet", "PAR1 this is not a parquet file")
    with pytest.raises(DataError, match=re.escape("source 'lake' (parquet): cannot read ")
                       + r"\S*lake/a\.parquet: .*Expected a readable parquet file\."):
        read("lake/*.parquet", project.root)
