"""Guards around SDV calls: silence its warnings and progress bars, and turn its complaints
about the rows into `DataError`s that say what to change."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from typing import Any

from builder.errors import DataError


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence SDV's warnings and progress bars around a call."""
    # tqdm resolves its output stream when a bar is made, so redirecting stderr hides SDV's bars.
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


#: SDV's exceptions for train rows that break the metadata or a constraint.
DATA_ERRORS = ("ConstraintNotMetError", "ConstraintsNotMetError", "InvalidDataError")


@contextlib.contextmanager
def fit_errors(name: str) -> Iterator[None]:
    """Turn SDV's complaints about the rows of model `name` into a `DataError`."""
    try:
        yield
    except Exception as error:
        if type(error).__name__ in DATA_ERRORS:
            raise DataError(
                f"synthetic: SDV cannot fit the '{name}' model: {' '.join(str(error).split())} "
                "Check synthetic.constraints and synthetic.columns against the train rows."
            ) from error
        raise


def shown_conditions(conditions: dict[str, Any]) -> str:
    """`Home='rent', Age=90`: conditions as messages show them."""
    return ", ".join(f"{k}={v!r}" for k, v in conditions.items())


def condition_error(owner: str, rows: int, conditions: dict[str, Any], reason: str) -> DataError:
    """The error for conditions a model cannot be sampled with, `reason` saying why."""
    return DataError(f"{owner}: SDV could not sample {rows} rows with "
                     f"{shown_conditions(conditions)}: {' '.join(reason.split())} A number "
                     "outside the train rows' range needs synthetic.generator."
                     "enforce_min_max_values: false; a category the train rows lack cannot be "
                     "sampled.")
