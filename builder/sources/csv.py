"""`type: csv`: comma-separated (or other delimiter) files, optionally compressed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.recipe.registry import SOURCES
from builder.sources.base import FileSource, FileSourceConfig


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

    def read_batches(self, piece, partition_bytes):
        """A file streamed in blocks of `partition_bytes` (column types from the first block)."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        path = Path(piece)
        reader = pcsv.open_csv(path, **self._options(min(partition_bytes, 2**31 - 1)))
        first = True
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                if first:  # a file with a header only: no batch, yet its (empty) columns
                    yield reader.schema.empty_table()
                return
            except pa.ArrowInvalid as error:
                if first or "conversion error" not in str(error).lower():
                    raise
                raise self.error(
                    f"cannot read {path}: {' '.join(str(error).split())} Column types are "
                    "inferred from the file's first block (engine.partition_size); expected "
                    "the values further on to fit them, or a larger engine.partition_size."
                ) from error
            first = False
            yield pa.Table.from_batches([batch])
