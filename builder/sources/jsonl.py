"""`type: jsonl`: JSON Lines files, one object per line."""

from __future__ import annotations

from pathlib import Path

from builder.recipe.registry import SOURCES
from builder.sources.base import LinesSource, head_bytes, json_object_keys, read_lines


@SOURCES.register("jsonl")
class JsonlSource(LinesSource):
    """Reads JSON Lines with pyarrow; falls back to pandas when a column's type varies. A large
    file is read in byte ranges of about a partition each (whole lines)."""

    def file_columns(self, path: Path) -> list[str]:
        """The keys of the records in the file's first MiB."""
        return json_object_keys(head_bytes(path), path)

    def all_file_columns(self, path: Path) -> list[str]:
        return json_object_keys(read_lines(path, 0, None), path)

    def parse(self, data, path, first_line: int = 1):
        """JSON Lines bytes as a table; `first_line` numbers their first line in messages."""
        import io

        import pyarrow as pa
        import pyarrow.json as pjson

        try:
            table = pjson.read_json(io.BytesIO(data),
                                    read_options=pjson.ReadOptions(block_size=1 << 26))
        except pa.ArrowInvalid as first_error:
            json_object_keys(data, path, first_line)  # names a line that is not an object
            return self._read_with_pandas(io.BytesIO(data), first_error)
        try:
            table.validate(full=True)  # pyarrow's JSON reader lets invalid UTF-8 through
        except pa.ArrowInvalid:
            json_object_keys(data, path, first_line)  # names the line and the byte
            raise
        return table

    def _read_with_pandas(self, path, first_error: Exception):
        """pandas reads columns whose values change type (1, then "two"); such a column becomes
        strings, which a `cast:` can turn into the type wanted."""
        import pandas as pd
        import pyarrow as pa

        try:
            frame = pd.read_json(path, lines=True, dtype=False)
        except ValueError:
            raise first_error from None
        arrays = {}
        for column in frame.columns:
            try:
                arrays[column] = pa.array(frame[column], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays[column] = pa.array(frame[column].astype("string"), from_pandas=True)
        return pa.table(arrays)
