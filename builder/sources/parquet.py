"""`type: parquet`: Apache Parquet files."""

from __future__ import annotations

from pathlib import Path

from builder.recipe.registry import SOURCES
from builder.sources.base import FileSource


@SOURCES.register("parquet")
class ParquetSource(FileSource):
    """Reads parquet files with pyarrow."""

    def read_file(self, path: Path):
        import pyarrow.parquet as pq

        return pq.read_table(path)
