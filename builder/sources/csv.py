"""`type: csv`: comma-separated (or other delimiter) files, optionally compressed.

Text encodings (`encoding: auto`, the default): a file whose first MiB is UTF-8 is read as
UTF-8 (a byte-order mark is honoured); any other is detected with charset-normalizer, and
the encoding found is counted in the ingest metrics (`files_decoded_as_<encoding>`). Bytes
that are not valid in the encoding used are an error naming the file, line and byte offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from builder.recipe.registry import SOURCES
from builder.recipe.schema import CheckContext, Problems
from builder.sources.base import COMPRESSED, FileSource, FileSourceConfig, head_bytes
from builder.sources.csv_cuts import cuttable_encoding, read_range, record_ranges
from builder.sources.encodings import detect_encoding, undecodable

if TYPE_CHECKING:
    import pyarrow as pa

#: CSV is parsed in blocks of this many bytes, several at once; larger blocks parse slower
#: (1,000,000 rows, 93 MiB: 0.38 s in 1 MiB blocks, 0.64 s in 32 MiB blocks).
BLOCK_BYTES = 2**20
#: A block must hold a whole record; for longer records it grows fourfold, up to this cap.
MAX_BLOCK_BYTES = 2**28


@dataclass(kw_only=True)
class CsvConfig(FileSourceConfig):
    """CSV files; `.gz`, `.bz2`, `.zst` and `.xz` are decompressed by their extension.

    `newlines_in_values`: quoted values may hold line breaks (the default). `line_terminator`:
    `any` (\\n, \\r\\n or a bare \\r ends a record, pyarrow's reader) or `"\\n"` (only \\n
    does; a bare \\r is part of a value, a \\r before \\n is dropped; read with pandas)."""

    delimiter: str = ","
    encoding: str = "auto"
    null_values: list[str] | None = None
    newlines_in_values: bool = True
    line_terminator: Literal["any", "\n"] = "any"

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        if len(self.delimiter) != 1:
            yield "delimiter", f"found {self.delimiter!r}, expected one character."
        if self.encoding != "auto":
            import codecs

            try:
                codecs.lookup(self.encoding)
            except LookupError:
                yield "encoding", (f"found '{self.encoding}', which Python does not know; "
                                   "expected auto, utf-8, latin-1, cp1252, utf-16, ...")


@SOURCES.register("csv")
class CsvSource(FileSource):
    """Reads CSV with pyarrow's multi-threaded parser (quoted newlines allowed)."""

    Config = CsvConfig

    def encoding_of(self, path: Path, count: bool = False) -> str:
        """The encoding `path` is read in: the configured one, or the one `auto` finds (with
        `count`, a file found not to be UTF-8 is counted in the source's metrics)."""
        if self.config.encoding != "auto":
            return self.config.encoding
        encoding = detect_encoding(head_bytes(path), path)
        if count and encoding not in ("utf8", "utf-16"):
            key = f"files_decoded_as_{encoding.replace('-', '_')}"
            self.report[key] = self.report.get(key, 0) + 1
        return encoding

    def _options(self, encoding: str, block_size: int | None = None) -> dict:
        import pyarrow.csv as pcsv

        convert = pcsv.ConvertOptions(strings_can_be_null=True)
        if self.config.null_values is not None:
            convert = pcsv.ConvertOptions(
                null_values=self.config.null_values, strings_can_be_null=True)
        read = pcsv.ReadOptions(encoding=encoding)
        if block_size is not None:
            read = pcsv.ReadOptions(encoding=encoding, block_size=block_size)
        parse = pcsv.ParseOptions(delimiter=self.config.delimiter,
                                  newlines_in_values=self.config.newlines_in_values)
        return {"read_options": read, "convert_options": convert, "parse_options": parse}

    def file_columns(self, path: Path) -> list[str]:
        """The header of the file (its first block is parsed, no more)."""
        if self.config.line_terminator != "any":
            reader = self._pandas_reader(path, self.encoding_of(path), 1)
            return list(_strip_carriage_returns(reader.get_chunk()).columns)
        import pyarrow.csv as pcsv

        encoding = self.encoding_of(path)
        for block in self._block_sizes(BLOCK_BYTES):
            try:
                return pcsv.open_csv(path, **self._options(encoding, block)).schema.names
            except Exception as error:  # noqa: BLE001 - pyarrow's ArrowInvalid and OSError
                if not self._straddles(error, block):
                    raise
        return []

    def read_file(self, path: Path):
        import pyarrow as pa

        tables = list(self.read_batches(str(path), 1 << 62))
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)

    def pieces(self, partition_bytes: int) -> list:
        """A file larger than `partition_bytes` is cut into pieces `(file, begin, end, schema,
        block)` of whole records, at fixed offsets from its start (`csv_cuts`): multiples of
        `partition_bytes / threads`, so that the threads finish close together and an append
        changes only the last piece. Every piece is read with the column types of the file's
        first block (`schema`, inferred from `block` bytes, as a stream would). A file that
        cannot be cut (compressed, UTF-16, `line_terminator: "\\n"`, a stray quote) is one
        piece, its path."""
        import pyarrow as pa

        pieces: list = []
        cut = -(-partition_bytes // max(1, self.threads))
        for path in map(Path, super().pieces(partition_bytes)):
            try:
                ranges = self._ranges(path, partition_bytes, cut)
                if ranges is None or len(ranges) < 2:
                    pieces.append(str(path))
                    continue
                schema, block = self._file_schema(path, min(partition_bytes, BLOCK_BYTES))
            except (OSError, ValueError, pa.ArrowException) as error:
                raise self.unreadable(path, error) from error
            pieces.extend((str(path), begin, end, schema, block) for begin, end in ranges)
        return pieces

    def _ranges(self, path: Path, partition_bytes: int, cut: int):
        if (path.name.endswith(COMPRESSED) or self.config.line_terminator != "any"
                or path.stat().st_size <= partition_bytes
                or not cuttable_encoding(self.encoding_of(path), self.config.delimiter)):
            return None
        return record_ranges(path, cut, self.config.newlines_in_values, self.config.delimiter)

    def _file_schema(self, path: Path, block: int):
        """The columns and types a stream of `path` in blocks of `block` bytes reads (from its
        first block, grown while a record is longer), and the block they come from."""
        import pyarrow.csv as pcsv

        encoding = self.encoding_of(path)
        for size in self._block_sizes(block):
            try:
                return pcsv.open_csv(path, **self._options(encoding, size)).schema, size
            except Exception as error:  # noqa: BLE001 - pyarrow's ArrowInvalid
                if "invalid utf8" in str(error).lower():
                    raise self.error(undecodable(path, encoding, self.config.encoding == "auto")) \
                        from error
                if not self._straddles(error, size):
                    raise
        raise AssertionError("unreachable")

    def piece_bytes(self, piece):
        """The size of a piece (a byte range, or a file unless it is compressed)."""
        if isinstance(piece, tuple):
            return piece[2] - piece[1]
        return None if piece.endswith(COMPRESSED) else Path(piece).stat().st_size

    def piece_digest(self, piece):
        """A byte range: its bytes, where it begins and the file's column types (unchanged by
        an append, `pieces`); a whole file: its bytes."""
        if not isinstance(piece, tuple):
            return super().piece_digest(piece)
        from builder.cache import digest_bytes, key

        path, begin, end, schema, block = piece
        try:
            data = read_range(Path(path), begin, end)
        except OSError:
            return None
        return key(path, begin, digest_bytes(data), schema.to_string(), block)

    def read_batches(self, piece, partition_bytes):
        """A file streamed in tables of about `partition_bytes` of CSV, parsed in blocks of
        `BLOCK_BYTES` (pyarrow parses blocks in parallel, not the inside of one, and makes a
        batch of each; column types come from the first block, as in `pyarrow.csv.read_csv`
        and pandas). A record longer than a block makes the blocks grow (the file is read
        again from its start, skipping the rows already given). A byte range (`pieces`) is
        one table."""
        if isinstance(piece, tuple):
            yield from self._read_range(*piece)
            return
        path = Path(piece)
        encoding = self.encoding_of(path, count=True)
        if self.config.line_terminator != "any":
            yield from self._read_with_pandas(path, encoding, partition_bytes)
            return
        done = 0
        for block in self._block_sizes(min(partition_bytes, BLOCK_BYTES)):
            try:
                for table in self._stream(path, encoding, block, partition_bytes, done):
                    done += table.num_rows
                    yield self._checked(table, path, encoding)
                return
            except Exception as error:  # noqa: BLE001 - pyarrow's ArrowInvalid
                if not self._straddles(error, block):
                    raise

    def _read_range(self, path: str, begin: int, end: int, schema, block: int):
        """The records in bytes `[begin, end)` of a file (its header when `begin` is 0), with
        the file's column types."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        file = Path(path)
        encoding = self.encoding_of(file, count=begin == 0)
        data = pa.py_buffer(read_range(file, begin, end))
        for size in self._block_sizes(BLOCK_BYTES):
            options = self._options(encoding, size)
            options["convert_options"].column_types = schema
            if begin > 0:
                options["read_options"].column_names = schema.names
            try:
                table = pcsv.read_csv(data, **options)
            except pa.ArrowInvalid as error:
                if "invalid utf8" in str(error).lower():
                    raise self.error(undecodable(file, encoding, self.config.encoding == "auto")) \
                        from error
                if "conversion error" in str(error).lower():
                    raise self._type_error(file, error, block) from error
                if not self._straddles(error, size):
                    raise
                continue
            if table.num_rows or begin == 0:
                yield self._checked(table.cast(schema), file, encoding)
            return

    def _type_error(self, path: Path, error: Exception, block: int):
        return self.error(
            f"cannot read {path}: {' '.join(str(error).split())} Column types are "
            f"inferred from the file's first {block:,} "
            "bytes (as pyarrow's and pandas' CSV readers do); expected the values "
            "further on to fit them. Write such a column's first values as the wider "
            "type (1.0, not 1), or convert the file to parquet with explicit types.")

    @staticmethod
    def _block_sizes(first: int):
        block = first
        while block < MAX_BLOCK_BYTES:
            yield block
            block *= 4
        yield MAX_BLOCK_BYTES

    def _straddles(self, error: Exception, block: int) -> bool:
        """Whether `error` says a record is longer than a block: retried with larger ones,
        an error naming the cap past it."""
        if "straddl" not in str(error):
            return False
        if block >= MAX_BLOCK_BYTES:
            raise self.error(
                f"a record is longer than {MAX_BLOCK_BYTES // 2**20} MiB, the largest block "
                "the CSV reader takes (sources.csv.MAX_BLOCK_BYTES); expected shorter fields, "
                "or convert the file to JSON Lines or parquet.") from error
        return True

    def _stream(self, path: Path, encoding: str, block: int, partition_bytes: int,
                skip: int):
        """Tables of `blocks_per_table` blocks each, after the first `skip` rows."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        blocks_per_table = max(1, -(-partition_bytes // block))
        reader = pcsv.open_csv(path, **self._options(encoding, block))
        batches, first = [], True
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                if batches or (first and not skip):  # a header only: its (empty) columns
                    yield pa.Table.from_batches(batches, reader.schema)
                return
            except pa.ArrowInvalid as error:
                if "invalid utf8" in str(error).lower():
                    raise self.error(undecodable(path, encoding, self.config.encoding == "auto")) \
                        from error
                if first or "conversion error" not in str(error).lower():
                    raise
                raise self._type_error(path, error, block) from error
            first = False
            if skip >= batch.num_rows:
                skip -= batch.num_rows
                continue
            if skip:
                batch, skip = batch.slice(skip), 0
            batches.append(batch)
            if len(batches) == blocks_per_table:
                yield pa.Table.from_batches(batches)
                batches = []

    def _checked(self, table: pa.Table, path: Path, encoding: str) -> pa.Table:
        """`table`, unless the reader kept a column as bytes: text not valid in `encoding`."""
        import pyarrow as pa

        if any(pa.types.is_binary(t) or pa.types.is_large_binary(t) for t in table.schema.types):
            raise self.error(undecodable(path, encoding, self.config.encoding == "auto"))
        return table

    def _pandas_reader(self, path: Path, encoding: str, rows: int):
        import pandas as pd

        return pd.read_csv(path, sep=self.config.delimiter, lineterminator="\n",
                           encoding="utf-8-sig" if encoding == "utf8" else encoding,
                           dtype_backend="pyarrow", chunksize=rows,
                           na_values=self.config.null_values,
                           keep_default_na=self.config.null_values is None,
                           compression="infer")

    def _read_with_pandas(self, path: Path, encoding: str, partition_bytes: int):
        """`line_terminator: "\\n"`: pandas' C parser, in chunks of about a partition."""
        import pandas as pd
        import pyarrow as pa

        rows = max(1000, partition_bytes // 256)
        try:
            for frame in self._pandas_reader(path, encoding, rows):
                frame = _strip_carriage_returns(frame)
                yield pa.Table.from_pandas(frame, preserve_index=False)
        except UnicodeDecodeError as error:
            raise self.error(undecodable(path, encoding, self.config.encoding == "auto")) \
                from error
        except pd.errors.ParserError as error:
            raise self.unreadable(path, error) from error


def _strip_carriage_returns(frame):
    """Records ended by \\r\\n read with \\n as the terminator: the \\r that ends the header's
    last name and the last column's values is no part of them."""
    import pandas as pd

    last = frame.columns[-1]
    if isinstance(last, str) and last.endswith("\r"):
        frame = frame.rename(columns={last: last[:-1]})
        last = last[:-1]
        values = frame[last]
        if pd.api.types.is_string_dtype(values) or values.dtype == object:
            values = values.str.removesuffix("\r")
            numbers = pd.to_numeric(values.astype(object), errors="coerce")
            if numbers.notna().sum() == values.notna().sum():  # a number column after all
                whole = numbers.dropna().mod(1).eq(0).all()
                values = numbers.astype("int64[pyarrow]" if whole and numbers.notna().all()
                                        else "double[pyarrow]")
            frame[last] = values
    return frame
