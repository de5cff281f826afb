"""`type: parquet`: Apache Parquet files."""

from __future__ import annotations

from pathlib import Path

from builder.recipe.registry import SOURCES
from builder.sources.base import FileSource


@SOURCES.register("parquet")
class ParquetSource(FileSource):
    """Reads parquet files with pyarrow; a large file in groups of row groups of about a
    partition each (by their uncompressed size)."""

    def file_columns(self, path: Path) -> list[str]:
        """The names in the file's schema (its footer)."""
        import pyarrow.parquet as pq

        return pq.read_schema(path).names

    def read_file(self, path: Path):
        import pyarrow.parquet as pq

        return pq.read_table(path)

    def pieces(self, partition_bytes):
        import pyarrow.parquet as pq

        pieces = []
        for path in super().pieces(partition_bytes):
            try:
                metadata = pq.ParquetFile(path).metadata
            except Exception:  # unreadable: reading the whole file reports it
                pieces.append((path, None))
                continue
            group: list[int] = []
            size = 0
            for index in range(metadata.num_row_groups):
                group.append(index)
                size += metadata.row_group(index).total_byte_size
                if size >= partition_bytes:
                    pieces.append((path, tuple(group)))
                    group, size = [], 0
            if group or metadata.num_row_groups == 0:
                pieces.append((path, tuple(group) if group else None))
        return pieces

    def read_batches(self, piece, partition_bytes):
        import pyarrow.parquet as pq

        path, groups = piece
        if groups is None:
            yield self.read_file(Path(path))
        else:
            yield pq.ParquetFile(path).read_row_groups(list(groups))
