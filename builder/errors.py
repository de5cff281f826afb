"""Errors that reach the user as a one-paragraph message and exit code 2.

Anything raised as a `FlywheelError` is bad input (a recipe, a file, an option) and is shown
without a traceback; any other exception is a bug and keeps its traceback under `--debug`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class FlywheelError(Exception):
    """Base class for errors caused by the user's input; the CLI prints `str(error)`."""

    exit_code = 2


class RecipeError(FlywheelError):
    """A value in a recipe is wrong: names the file, the dotted key path, what and what not."""

    def __init__(self, file: str, key: str, message: str, hint: str | None = None):
        self.file = file
        self.key = key
        self.message = message
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" {self.hint}"
        return text


class RecipeErrors(FlywheelError):
    """Several recipe errors found in one pass, shown one paragraph each."""

    def __init__(self, errors: list[RecipeError]):
        self.errors = errors
        count = f"{len(errors)} errors" if len(errors) > 1 else "1 error"
        super().__init__(f"recipe is invalid ({count}):\n" + "\n".join(f"- {e}" for e in errors))


class DataError(FlywheelError):
    """The data does not fit the recipe: a missing column, an unreadable file, a bad value."""


class StageError(FlywheelError):
    """A stage cannot run: its input artifact is missing, or a step failed on the data."""


def require_columns(table: Iterable, columns: Iterable[str], owner: str) -> None:
    """Raise a `DataError` naming `owner` when a column is missing, with a did-you-mean.

    `table` is anything whose iteration yields column names: a DataFrame or a list of names.
    """
    available = [str(c) for c in table]
    for column in columns:
        if column not in available:
            raise DataError(
                f"{owner}: column '{column}' not found; the table has "
                f"{', '.join(available)}." + did_you_mean(column, available)
            )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' Did you mean 'x'?' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def one_of(choices: Iterable[str]) -> str:
    """Render a choice list for messages: `'a', 'b' or 'c'`."""
    quoted = [f"'{c}'" for c in sorted(choices)]
    if not quoted:
        return "nothing"
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


class OutputError(FlywheelError):
    """An output cannot be written: no permission, a read-only file system, a full disk."""


#: errno values that mean "this output cannot be written here", not a bug.
WRITE_ERRNOS = {"EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "EFBIG", "ENOTDIR", "EEXIST",
                "EISDIR", "ETXTBSY", "EMLINK", "ENAMETOOLONG"}
_WRITE_PHRASES = ("permission denied", "read-only file system", "no space left",
                  "disk quota exceeded", "file too large", "not a directory",
                  "no usable temporary directory")


def is_write_failure(error: BaseException) -> bool:
    """Whether an `OSError` says an output cannot be written (rather than a bug)."""
    import errno

    if not isinstance(error, OSError):
        return False
    if error.errno is not None and errno.errorcode.get(error.errno) in WRITE_ERRNOS:
        return True
    return any(p in str(error).lower() for p in _WRITE_PHRASES)  # pyarrow's IO errors


def output_error(error: OSError, doing: str, output: str = "") -> OutputError:
    """The one-paragraph message for an OS error while `doing` (e.g. 'builder build credit'):
    the path (the error's, else `output`, where the command writes), the reason and that
    earlier outputs were left as they were."""
    import errno
    import os

    path = os.path.relpath(error.filename) if error.filename else ""
    if error.filename2:
        path = f"{error.filename} -> {error.filename2}"
    reason = error.strerror or " ".join(str(error).split())
    verb = "cannot access" if errno.errorcode.get(error.errno or 0) in ("EACCES", "EPERM") \
        else "cannot write"  # a permission error may come from reading too
    where = f"{verb} {path}" if path else f"{verb} {output or 'an output'}"
    return OutputError(
        f"{where} ({reason}) during {doing}. Each output is written to a temporary file or "
        "folder and moved into place when complete, so the previous outputs are as they were "
        "(under `dvc repro`, a stage that finished earlier has replaced its own). Expected a "
        "writable folder with free space: check its permissions, mount and disk space.")
