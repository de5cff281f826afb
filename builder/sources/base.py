"""The source step: read one declared source, in pieces, as Arrow tables.

A source is read in pieces (`pieces`): a file, a byte range of a file, a group of parquet row
groups. Each piece is read by one task of the ingest stage (`read_piece`), which yields one or
more Arrow tables of about the engine's partition size; each becomes a partition. `read` gives
the whole source in one table, for tools and tests.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from builder.errors import DataError
from builder.recipe.schema import CheckContext, Problems, SourceConfig

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


class Source:
    """Reads one source. Subclasses set `Config` and implement `read`."""

    Config: ClassVar[type[SourceConfig]] = SourceConfig
    type_name: ClassVar[str]
    #: The engine's `threads`, set by ingest before `pieces`: sources that cut files into
    #: pieces may size them so that the threads finish close together (CSV).
    threads: int = 1

    def __init__(self, name: str, config: SourceConfig, root: Path):
        self.name = name
        self.config = config
        self.root = root
        self.report: dict = {}  # extra figures for this source's ingest metrics

    def read(self) -> pa.Table:
        """The source's rows as an Arrow table, before renames and casts."""
        raise NotImplementedError

    def pieces(self, partition_bytes: int) -> list[Any]:
        """Descriptions (small, picklable) of the pieces the source is read in, in order."""
        return [None]

    def read_piece(self, piece: Any, partition_bytes: int) -> Iterator[pa.Table]:
        """The tables of one piece, each about `partition_bytes` of input (one by default)."""
        yield self.read()

    def piece_bytes(self, piece: Any) -> int | None:
        """The input bytes of a piece when known before reading it (None: unknown)."""
        return None

    def piece_digest(self, piece: Any) -> str | None:
        """A digest of everything a piece's rows are read from (its bytes), for the partition
        cache (`builder.cache`); None: the piece is read again every build."""
        return None

    def columns(self) -> list[str] | None:
        """The source's column names as read (before `rename`), got cheaply without reading
        its rows: a CSV header, a parquet schema, a query's cursor description. None when they
        cannot be known before reading (the recipe's column names are then not checked)."""
        return None

    def all_columns(self) -> list[str] | None:
        """`columns` for certain: sources that sample (JSON Lines' first lines) look at every
        record here; called only when a name the recipe uses is not in `columns`."""
        return self.columns()

    def dedup_keys(self, df: pd.DataFrame) -> Any:
        """Per-row keys that `drop_duplicates_of_others` compares across sources (None: no
        such step; e.g. a feedback log's `dedup_on`)."""
        return None

    def error(self, message: str) -> DataError:
        """A data error that names this source."""
        return DataError(f"source '{self.name}' ({self.type_name}): {message}")


@dataclass(kw_only=True)
class FileSourceConfig(SourceConfig):
    """A source read from files; `path` may be a glob pattern, relative to the project root."""

    path: str

    def files(self, root: Path) -> list[Path]:
        """The matching files, sorted so that every build reads them in the same order."""
        pattern = self.path if Path(self.path).is_absolute() else str(root / self.path)
        return sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())

    def input_files(self, root: Path) -> list[Path]:
        return self.files(root)

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        if not self.files(ctx.root):
            yield "path", (
                f"no file matches '{self.path}' (relative to {ctx.root}); expected an existing "
                "file or a glob pattern that matches at least one."
            )


class FileSource(Source):
    """A source made of one or more files read by `read_file` and concatenated; each file is a
    piece (subclasses stream a file in batches or cut it into byte ranges)."""

    Config = FileSourceConfig

    def pieces(self, partition_bytes: int) -> list[Any]:
        files = self.config.files(self.root)
        if not files:
            raise self.error(f"no file matches '{self.config.path}'.")
        return [str(path) for path in files]

    def read_piece(self, piece: Any, partition_bytes: int) -> Iterator[pa.Table]:
        import pyarrow as pa

        path = Path(piece[0] if isinstance(piece, tuple) else piece)
        try:
            yield from self.read_batches(piece, partition_bytes)
        except DataError:
            raise
        except (OSError, ValueError, pa.ArrowException) as error:
            raise self.unreadable(path, error) from error

    def piece_digest(self, piece: Any) -> str | None:
        """The file's bytes, and the rest of the piece (parquet row groups, ...)."""
        from builder.cache import digest_file, key

        path, rest = (piece[0], piece[1:]) if isinstance(piece, tuple) else (piece, ())
        try:
            return key(str(path), rest, digest_file(Path(path)))
        except OSError:
            return None  # reading it reports the error

    def unreadable(self, path: Path, error: Exception) -> DataError:
        """The error for a file the reader failed on, with the reader's reason."""
        return self.error(f"cannot read {path}: {' '.join(str(error).split())} "
                          f"Expected a readable {self.type_name} file.")

    def read_batches(self, piece: Any, partition_bytes: int) -> Iterator[pa.Table]:
        """The tables of one piece (here: a whole file)."""
        yield self.read_file(Path(piece))

    def read(self) -> pa.Table:
        import pyarrow as pa

        files = self.config.files(self.root)
        if not files:
            raise self.error(f"no file matches '{self.config.path}'.")
        tables = []
        for path in files:
            try:
                tables.append(self.read_file(path))
            except DataError:
                raise
            except (OSError, ValueError, pa.ArrowException) as error:
                raise self.unreadable(path, error) from error
        return concat_tables(tables, self.error)

    def read_file(self, path: Path) -> pa.Table:
        raise NotImplementedError

    def columns(self) -> list[str] | None:
        return self._union(self.file_columns)

    def all_columns(self) -> list[str] | None:
        return self._union(self.all_file_columns)

    def _union(self, per_file) -> list[str] | None:
        """The columns of every file in first-seen order (files' columns missing elsewhere
        become nulls there); an unreadable file is left for reading to report."""
        import pyarrow as pa

        found: dict[str, None] = {}
        for path in self.config.files(self.root):
            try:
                names = per_file(path)
            except DataError:
                raise
            except (OSError, ValueError, pa.ArrowException) as error:
                raise self.unreadable(path, error) from error
            if names is None:
                return None
            found.update(dict.fromkeys(names))
        return list(found)

    def file_columns(self, path: Path) -> list[str] | None:
        """The column names of one file, read cheaply (None: unknown before reading)."""
        return None

    def all_file_columns(self, path: Path) -> list[str] | None:
        """`file_columns` for certain (see `Source.all_columns`)."""
        return self.file_columns(path)


class LinesSource(FileSource):
    """A source of line-oriented files (JSON Lines): a large file is read in byte ranges of
    about a partition each, whole lines only; subclasses implement `parse`."""

    def pieces(self, partition_bytes: int) -> list[Any]:
        return [piece for path in super().pieces(partition_bytes)
                for piece in line_ranges(Path(path), partition_bytes)]

    def piece_digest(self, piece: Any) -> str | None:
        """The bytes of the piece's lines: an append to the file changes only the last piece
        (pieces are cut at fixed offsets from the file's start, `line_ranges`)."""
        from builder.cache import digest_bytes, digest_file, key

        path, start, end = piece
        try:
            if end is None:
                return key(path, digest_file(Path(path)))
            return key(path, digest_bytes(read_lines(Path(path), start, end)))
        except OSError:
            return None

    def read_batches(self, piece: Any, partition_bytes: int) -> Iterator[pa.Table]:
        path, start, end = piece
        data = read_lines(Path(path), start, end)
        if end is None or data.strip():  # else a range inside one long line: no record in it
            try:
                yield self.parse(data, Path(path))
            except LineError as error:  # its line counts from the range's first line
                first = lines_before(Path(path), start - 1) + 1 if start > 0 else 0
                raise self.error(f"cannot read {error.renumbered(first)}") from error

    def read_file(self, path: Path) -> pa.Table:
        try:
            return self.parse(read_lines(path, 0, None), path)
        except LineError as error:
            raise self.error(f"cannot read {error}") from error

    def parse(self, data: bytes, path: Path) -> pa.Table:
        """The table of some whole lines of `path`."""
        raise NotImplementedError


#: Columns the builder adds to every row; a source's own columns must not use these names.
RESERVED_COLUMNS = ("_id", "_source")


def check_column_names(columns: list[str], owner: str) -> None:
    """Refuse a name used twice (after `rename`) and the names the builder reserves."""
    seen: set[str] = set()
    for column in columns:
        if column in RESERVED_COLUMNS:
            raise DataError(
                f"{owner}: has a column '{column}', a name the builder gives every row; expected "
                f"it renamed, e.g. `rename: {{{column}: original{column}}}`.")
        if column in seen:
            raise DataError(
                f"{owner}: two columns are named '{column}' after `rename`; expected distinct "
                f"names: rename the other '{column}' too, or pick another name.")
        seen.add(column)


def concat_tables(tables: list[pa.Table], error) -> pa.Table:
    """Concatenate tables whose columns may differ: missing columns become nulls."""
    import pyarrow as pa

    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise error(
            f"the files' columns have types that cannot be combined ({exc}); "
            "expected the same type per column: add a `cast:` for it."
        ) from exc


#: File name endings of compressed files, which cannot be cut into byte ranges.
COMPRESSED = (".gz", ".bz2", ".zst", ".xz", ".lz4", ".zip")


def balanced_part_bytes(total: int | None, partition_bytes: int, workers: int) -> int:
    """How much of a piece of `total` input bytes each of its tables should hold: about
    `partition_bytes`, in as many equal tables as that takes, rounded up to a multiple of
    `workers` so that the threads working on them finish together (93 MiB in 32 MiB tables
    is three tables and a scrap, two rounds of 32 MiB on two threads; in four tables of
    about 23 MiB it is two rounds of 23 MiB). A piece that fits in one table stays one."""
    if not total or total <= partition_bytes or workers <= 1:
        return partition_bytes
    tables = -(-total // partition_bytes)
    tables = -(-tables // workers) * workers
    return -(-total // tables)


def line_ranges(path: Path, partition_bytes: int) -> list[tuple[str, int, int | None]]:
    """Pieces `(file, start, end)` of a line-oriented file, about `partition_bytes` each: a line
    belongs to the piece its first byte lies in. A compressed file is one piece."""
    size = path.stat().st_size
    if path.name.endswith(COMPRESSED) or size <= partition_bytes:
        return [(str(path), 0, None)]
    starts = range(0, size, partition_bytes)
    return [(str(path), start, min(start + partition_bytes, size)) for start in starts]


def read_lines(path: Path, start: int, end: int | None) -> bytes:
    """The whole lines that begin in bytes [start, end) of a file (all of it when `end` is
    None)."""
    if end is None:  # the whole file, decompressed by its extension
        import pyarrow as pa

        with pa.input_stream(str(path), compression="detect") as stream:
            return stream.read()
    with path.open("rb") as fh:
        if start > 0:
            fh.seek(start - 1)
            fh.readline()  # the rest of the line that began before `start`
        begin = fh.tell()
        if begin >= end:
            return b""
        data = fh.read(end - begin)
        if data and not data.endswith(b"\n"):
            data += fh.readline()  # the line that began before `end` runs on past it
        return data


def head_bytes(path: Path, limit: int = 1 << 20) -> bytes:
    """The whole lines within the first `limit` bytes of a file (decompressed by its
    extension); the first line whole even when it is longer."""
    import pyarrow as pa

    with pa.input_stream(str(path), compression="detect") as stream:
        data = stream.read(limit)
        if len(data) < limit:
            return data
        cut = data.rfind(b"\n")
        while cut < 0:
            more = stream.read(limit)
            if not more:
                return data
            cut = more.find(b"\n")
            cut = len(data) + cut if cut >= 0 else -1
            data += more
        return data[:cut + 1]


def lines_before(path: Path, offset: int) -> int:
    """How many lines of an uncompressed file begin before byte `offset` (0 at the start)."""
    count = 0
    with path.open("rb") as fh:
        while offset > 0:
            chunk = fh.read(min(offset, 1 << 20))
            if not chunk:
                break
            count += chunk.count(b"\n")
            offset -= len(chunk)
    return count


class LineError(DataError):
    """A line of a line-oriented file that cannot be read: names the file and the line."""

    def __init__(self, path: Path, line: int, detail: str):
        self.path, self.line, self.detail = path, line, detail
        super().__init__(f"{path}: line {line}: {detail}")

    def renumbered(self, before: int) -> str:
        """The message for a line that came after `before` lines of the file."""
        return f"{self.path}: line {self.line + before}: {self.detail}"


def json_object_keys(data: bytes, path: Path, first_line: int = 1) -> list[str]:
    """The keys of JSON Lines records, in first-seen order; a line that is not JSON or not an
    object is a `DataError` naming the file and line."""
    import json

    keys: dict[str, None] = {}
    offset = 0
    for number, line in enumerate(data.splitlines(keepends=True), start=first_line):
        start, offset = offset, offset + len(line)
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except UnicodeDecodeError as error:
            where = f"byte offset {start + error.start}" if first_line == 1 else \
                f"byte {error.start} of the line"
            raise LineError(path, number, f"is not valid UTF-8 ({error.reason} at {where}); "
                            "expected UTF-8 JSON, one object per line.") from error
        except json.JSONDecodeError as error:
            raise LineError(path, number, "is not valid JSON "
                            f"({getattr(error, 'msg', None) or error}); expected one object "
                            "per line.") from error
        if not isinstance(value, dict):
            raise LineError(path, number, f"found a JSON {json_kind(value)}, expected an "
                            "object ({...}) per line.")
        keys.update(dict.fromkeys(value))
    return list(keys)


def json_kind(value: object) -> str:
    """How a parsed JSON value is named in messages."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
