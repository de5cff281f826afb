"""The row vocabulary every stage shares: column names, label sources, class codes.

Part of the kernel: it imports no domain package. pandas and pyarrow are imported inside the
functions that need them, so that config modules can use the names without paying for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Every row's stable id, from declared key columns or a content hash.
ID = "_id"
#: The source (recipe name of the source) a row was read from.
SOURCE = "_source"
#: How a row came to be: real, or made by a balance strategy or a generator.
ORIGIN = "_origin"
#: The split a row was assigned to.
SPLIT = "split"
#: Where a row's label came from, and how sure that source is.
LABEL_SOURCE = "label_source"
LABEL_CONFIDENCE = "label_confidence"

#: Columns a `feedback` source gives its rows: the deployed model's prediction and its score,
#: and the user's correction, which the label stage turns into a `feedback` label.
FEEDBACK_PREDICTION = "_feedback_prediction"
FEEDBACK_SCORE = "_feedback_score"
FEEDBACK_CORRECTION = "_feedback_label"

#: The origin of every row read from a source.
REAL = "real"
#: A labeling function's or an annotator's "no label" in a label matrix.
ABSTAIN = -1
#: Label sources, strongest first (the precedence of `labeling.merge`).
LABEL_SOURCES = ("human", "gold", "feedback", "weak", "pseudo")

#: Per-row columns the label stage adds besides the label, `label_source` and
#: `label_confidence`. Working columns: export publishes them only when `task.features` names
#: them.
DETAIL_COLUMNS = ("weak_label", "weak_confidence", "lf_conflict", "model_label",
                  "model_confidence", "suspect_label")
#: Per-row bookkeeping of the label stage: never a feature, null on generated rows.
BOOKKEEPING_COLUMNS = (LABEL_SOURCE, LABEL_CONFIDENCE, *DETAIL_COLUMNS)
#: Bookkeeping columns kept in the published dataset so that every row can be traced.
PROVENANCE_COLUMNS = (SOURCE, ORIGIN, LABEL_SOURCE, LABEL_CONFIDENCE)


def is_internal(name: object) -> bool:
    """Whether a column is the builder's own (`_id`, `_source`, `__scratch`, ...)."""
    return str(name).startswith("_")


def data_columns(columns: Sequence[str], *excluded: str) -> list[str]:
    """The columns that hold data: not internal, not the split, not the label stage's
    bookkeeping, and none of `excluded` (the label, the gold column, ...)."""
    skip = {SPLIT, *BOOKKEEPING_COLUMNS, *excluded}
    return [c for c in columns if c not in skip and not is_internal(c)]


def class_codes(labels: pd.Series, classes: Sequence[str]) -> np.ndarray:
    """Class names -> class indices (`ABSTAIN` where missing or not a class), as int64."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    # What `columns.to_arrow` does for `string[pyarrow]` (columns imports this module).
    strings = labels.astype(pd.StringDtype("pyarrow")).array.__arrow_array__()
    text = pc.cast(strings, pa.string())
    found = pc.index_in(text, value_set=pa.array(list(classes), pa.string()))
    return np.asarray(pc.fill_null(found, ABSTAIN).to_numpy(zero_copy_only=False),
                      dtype=np.int64)


def class_names(indices: np.ndarray, classes: Sequence[str], index: pd.Index) -> pd.Series:
    """Class indices (`ABSTAIN` = none) -> class names as `string[pyarrow]` (missing = none)."""
    import pandas as pd
    import pyarrow as pa

    indices = np.asarray(indices, dtype=np.int64)
    taken = pa.array(list(classes), pa.large_string()).take(pa.array(indices, mask=indices < 0))
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=index)


def key_bound(keys: Sequence[np.ndarray] | np.ndarray, limit: int) -> float:
    """The bound on row keys (uniform hashes in [0, 1)) that chooses at most `limit` of them:
    the rows whose key is at most the bound. 1.0 (every row) when there are no more."""
    if isinstance(keys, np.ndarray):
        every = keys
    else:
        every = np.concatenate(list(keys)) if len(keys) else np.zeros(0)
    if len(every) <= limit:
        return 1.0
    return float(np.partition(every, limit - 1)[limit - 1])
