"""Label precedence: human > gold > feedback > weak > pseudo, and what it did per source."""

from __future__ import annotations

import pandas as pd
import pytest

from builder.labeling.merge import Candidate, merge_labels, precedence_report


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


def test_precedence_report_per_source() -> None:
    candidates = {
        "human": Candidate(series(["d", None, None, "d", None, None])),
        "gold": Candidate(series(["c", "c", None, None, None, None])),
        "feedback": Candidate(series(["b", "b", "b", "b", None, None])),
        "weak": Candidate(series(["a", None, "a", None, "a", None]), 0.7),
    }
    merged = merge_labels(candidates, pd.RangeIndex(6))
    assert merged["label_source"].fillna("-").tolist() == ["human", "gold", "feedback", "human",
                                                           "weak", "-"]
    assert precedence_report(candidates, merged) == {
        "human": {"offered": 2, "applied": 2, "replaced": {"feedback": 1, "gold": 1},
                  "outranked_by": {}},
        "gold": {"offered": 2, "applied": 1, "replaced": {"feedback": 1},
                 "outranked_by": {"human": 1}},
        "feedback": {"offered": 4, "applied": 1, "replaced": {"weak": 1},
                     "outranked_by": {"gold": 1, "human": 2}},
        "weak": {"offered": 3, "applied": 1, "replaced": {"unlabeled": 1},
                 "outranked_by": {"feedback": 1, "human": 1}},
    }
