"""`type: csv`: comma-separated (or other delimiter) files, optionally compressed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.recipe.registry import SOURCES
from builder.sources.base import COMPRESSED, FileSource, FileSourceConfig

#: CSV is parsed in blocks of this many bytes, several at once; larger blocks parse slower
#: (1,000,000 rows, 93 MiB: 0.38 s in 1 MiB blocks, 0.64 s in 32 MiB blocks).
BLOCK_BYTES = 2**20


@dataclass(kw_only=True)
class CsvConfig(FileSourceConfig):
    """CSV files; `.gz`, `.bz2`, `.zst` and `.xz` are decompressed by their extension."""

    delimiter: str = ","
    encoding: str = "utf8"
    null_values: list[str] | None = None


@SOURCES.register("csv")
class CsvSource(FileSource):
    """Reads CSV with pyarrow's multi-threaded parser (quoted newlines allowed)."""

    Config = CsvConfig

    def _options(self, block_size: int | None = None) -> dict:
        import pyarrow.csv as pcsv

        convert = pcsv.ConvertOptions(strings_can_be_null=True)
        if self.config.null_values is not None:
            convert = pcsv.ConvertOptions(
                null_values=self.config.null_values, strings_can_be_null=True)
        read = pcsv.ReadOptions(encoding=self.config.encoding)
        if block_size is not None:
            read = pcsv.ReadOptions(encoding=self.config.encoding, block_size=block_size)
        return {"read_options": read, "convert_options": convert,
                "parse_options": pcsv.ParseOptions(delimiter=self.config.delimiter,
                                                   newlines_in_values=True)}

    def read_file(self, path: Path):
        import pyarrow.csv as pcsv

        return pcsv.read_csv(path, **self._options())

    def piece_bytes(self, piece):
        """The size of a piece (a file), unless it is compressed."""
        return None if piece.endswith(COMPRESSED) else Path(piece).stat().st_size

    def read_batches(self, piece, partition_bytes):
        """A file streamed in tables of about `partition_bytes` of CSV, parsed in blocks of
        `BLOCK_BYTES` (pyarrow parses blocks in parallel, not the inside of one, and makes a
        batch of each; column types come from the first block, as in `pyarrow.csv.read_csv`
        and pandas)."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        path = Path(piece)
        block = min(partition_bytes, BLOCK_BYTES)
        blocks_per_table = -(-partition_bytes // block)
        reader = pcsv.open_csv(path, **self._options(block))
        batches, first = [], True
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                if batches or first:  # a file with a header only: its (empty) columns
                    yield pa.Table.from_batches(batches, reader.schema)
                return
            except pa.ArrowInvalid as error:
                if first or "conversion error" not in str(error).lower():
                    raise
                raise self.error(
                    f"cannot read {path}: {' '.join(str(error).split())} Column types are "
                    f"inferred from the file's first {block:,} "
                    "bytes (as pyarrow's and pandas' CSV readers do); expected the values "
                    "further on to fit them. Write such a column's first values as the wider "
                    "type (1.0, not 1), or convert the file to parquet with explicit types."
                ) from error
            first = False
            batches.append(batch)
            if len(batches) == blocks_per_table:
                yield pa.Table.from_batches(batches)
                batches = []
