"""Label precedence: human > gold > feedback > weak > pseudo."""

from __future__ import annotations

import pandas as pd
import pytest

from builder.labeling.merge import Candidate, merge_labels


def series(values):
    return pd.Series(values, dtype="string[pyarrow]")


def test_precedence_and_confidence() -> None:
    index = pd.RangeIndex(5)
    merged = merge_labels({
        "pseudo": Candidate(series(["a", "a", "a", "a", None]), pd.Series([0.9] * 5)),
        "weak": Candidate(series(["b", "b", None, None, None]), pd.Series([0.7, 0.6, 0, 0, 0])),
        "gold": Candidate(series([None, "c", None, "c", None])),
        "human": Candidate(series(["d", None, None, None, None])),
    }, index)
    assert merged["label"].tolist() == ["d", "c", "a", "c", pd.NA]
    assert merged["label_source"].tolist() == ["human", "gold", "pseudo", "gold", pd.NA]
    assert merged["label_confidence"].tolist()[:4] == [1.0, 1.0, 0.9, 1.0]
    assert pd.isna(merged["label_confidence"].iloc[4])


def test_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown label sources \\['crowd'\\]"):
        merge_labels({"crowd": Candidate(series(["a"]))}, pd.RangeIndex(1))
