"""`type: lookup`: vote when a column's value is in a list (inline or one value a line in a file)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.labeling.config import FUNCTIONS, FunctionConfig, Problems
from builder.labeling.kinds.base import LabelingFunction


@dataclass(kw_only=True)
class LookupConfig(FunctionConfig):
    """`column`, and `values: [...]` or `file:` (UTF-8, one value a line; blank lines and lines
    starting with `#` are skipped; relative to the project root); `case_sensitive` (default true)."""

    label: str
    column: str
    values: list[str] | None = None
    file: str | None = None
    case_sensitive: bool = True

    def path(self, root: Path) -> Path:
        path = Path(self.file)
        return path if path.is_absolute() else root / path

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        if (self.values is None) == (self.file is None):
            yield "values", "expected exactly one of `values` (a list) or `file` (a path)."
        elif self.file is not None and not self.path(ctx.root).is_file():
            yield "file", f"found '{self.file}', which is not a file under {ctx.root}; expected a " \
                          "text file with one value a line."
        elif self.values is not None and not self.values:
            yield "values", "is empty; expected at least one value."

    def input_files(self, root: Path) -> list[Path]:
        return [self.path(root)] if self.file is not None else []


def read_values(path: Path) -> list[str]:
    """The values listed in a lookup file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@FUNCTIONS.register("lookup")
class Lookup(LabelingFunction):
    """A hash lookup of the whole column (`pyarrow.compute.is_in`)."""

    Config = LookupConfig

    _values: list[str] | None = None

    def values(self) -> list[str]:
        if self._values is None:
            if self.config.values is not None:
                values = [str(v) for v in self.config.values]
            else:
                from builder.errors import DataError

                path = self.config.path(self.root)
                try:
                    values = read_values(path)
                except (OSError, UnicodeDecodeError) as error:
                    raise DataError(f"{self.owner}: cannot read {path}: {error}") from error
            self._values = values if self.config.case_sensitive else [v.lower() for v in values]
        return self._values

    def votes(self, batch, features):
        return self.fire(features.is_in(self.column_name(), self.values(),
                                        not self.config.case_sensitive))
