"""The source step: read one declared source into an Arrow table."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from builder.errors import DataError
from builder.recipe.schema import CheckContext, Problems, SourceConfig

if TYPE_CHECKING:
    import pyarrow as pa


class Source:
    """Reads one source. Subclasses set `Config` and implement `read`."""

    Config: ClassVar[type[SourceConfig]] = SourceConfig
    type_name: ClassVar[str]

    def __init__(self, name: str, config: SourceConfig, root: Path):
        self.name = name
        self.config = config
        self.root = root

    def read(self) -> pa.Table:
        """The source's rows as an Arrow table, before renames and casts."""
        raise NotImplementedError

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
    """A source made of one or more files read by `read_file` and concatenated."""

    Config = FileSourceConfig

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
                raise self.error(
                    f"cannot read {path}: {' '.join(str(error).split())} "
                    f"Expected a readable {self.type_name} file."
                ) from error
        return concat_tables(tables, self.error)

    def read_file(self, path: Path) -> pa.Table:
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
