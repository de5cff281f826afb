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

    def read_file(self, path: Path):
        import pyarrow.csv as pcsv

        convert = pcsv.ConvertOptions(strings_can_be_null=True)
        if self.config.null_values is not None:
            convert = pcsv.ConvertOptions(
                null_values=self.config.null_values, strings_can_be_null=True)
        return pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(encoding=self.config.encoding),
            parse_options=pcsv.ParseOptions(
                delimiter=self.config.delimiter, newlines_in_values=True),
            convert_options=convert,
        )
