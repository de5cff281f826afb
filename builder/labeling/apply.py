"""Apply labeling functions to rows: an int8 label matrix (rows x functions, -1 = abstain).

Rows are processed in batches; each batch computes its text features once (see `features`)
and every built-in kind works on whole columns. A function that raises is named in the error
together with the rows that make it fail (found by halving the batch).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from builder.errors import DataError, FlywheelError, StageError
from builder.labeling.config import FUNCTIONS, FunctionConfig
from builder.labeling.features import BatchFeatures
from builder.labeling.kinds.base import LabelingFunction
from builder.rows import ABSTAIN


def build_functions(configs: Mapping[str, FunctionConfig], classes: list[str],
                    text_column: str | None, root: Path) -> list[LabelingFunction]:
    """The labeling function objects of a recipe's `labeling.functions`, in recipe order."""
    return [FUNCTIONS.get(config.type)(name, config, classes, text_column, root)
            for name, config in configs.items()]


def label_matrix(df: pd.DataFrame, functions: list[LabelingFunction],
                 batch_size: int = 250_000) -> np.ndarray:
    """Votes of every function on every row: int8, shape (rows, functions), -1 = abstain."""
    matrix = np.full((len(df), len(functions)), ABSTAIN, dtype=np.int8)
    for start in range(0, len(df), batch_size):
        batch = df.iloc[start:start + batch_size]
        matrix[start:start + len(batch)] = apply_batch(batch, functions)
    return matrix


def apply_batch(batch: pd.DataFrame, functions: list[LabelingFunction]) -> np.ndarray:
    """The label matrix of one batch."""
    features = BatchFeatures(batch)
    for function in functions:
        function.declare(features)
    columns = [run_function(function, batch, features) for function in functions]
    if not columns:
        return np.full((len(batch), 0), ABSTAIN, dtype=np.int8)
    return np.column_stack(columns).astype(np.int8, copy=False)


def run_function(function: LabelingFunction, batch: pd.DataFrame,
                 features: BatchFeatures) -> np.ndarray:
    """One function's votes on a batch; a failure names the function and the failing rows."""
    try:
        votes = np.asarray(function.votes(batch, features))
    except FlywheelError:
        raise
    except Exception as error:  # a user's expression or function may raise anything
        rows = failing_rows(function, batch)
        where = f" on rows {', '.join(rows)}" if rows else ""
        raise StageError(
            f"{function.owner} failed{where}: {type(error).__name__}: {error}. "
            "Expected it to return one vote per row; fix the function or the rows."
        ) from error
    if votes.shape != (len(batch),):
        raise DataError(f"{function.owner}: gave {votes.shape} votes for {len(batch)} rows; "
                        "expected one per row.")
    return votes


def failing_rows(function: LabelingFunction, batch: pd.DataFrame, limit: int = 3) -> list[str]:
    """Up to `limit` ids (`_id`, else row positions) of rows on which `function` raises alone,
    found by halving the batch: O(limit x log rows) calls."""
    found: list[str] = []

    def fails(part: pd.DataFrame) -> bool:
        try:
            function.votes(part, BatchFeatures(part))
        except FlywheelError:
            return False
        except Exception:
            return True
        return False

    def search(part: pd.DataFrame) -> None:
        if len(found) >= limit or not fails(part):
            return
        if len(part) == 1:
            found.append(_row_name(part))
            return
        middle = len(part) // 2
        search(part.iloc[:middle])
        search(part.iloc[middle:])

    search(batch)
    return found


def _row_name(row: pd.DataFrame) -> str:
    if "_id" in row.columns:
        return f"'{row['_id'].iloc[0]}'"
    return f"#{row.index[0]}"
