"""Label precedence: when a row has labels from several sources, which one it keeps.

human > gold > feedback > weak > pseudo. Every source offers its labels as a `Candidate`
(the label stage's gold and weak labels, the flywheel's feedback corrections and human consensus
labels, see `builder.labeling.human.merge`); every row ends with one label (or none), its
`label_source` and its `label_confidence`. `precedence_report` says, per source, how many of its
labels were kept, which weaker labels they replaced and which stronger ones outranked them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from builder.columns import STRING, string_series, to_arrow
from builder.rows import DETAIL_COLUMNS, LABEL_SOURCES  # noqa: F401 (export reads one)


@dataclass
class Candidate:
    """Labels from one source: class names (missing where the source has none) and their
    confidence in [0, 1] (a number for all rows, or one per row)."""

    labels: pd.Series
    confidence: pd.Series | float = 1.0


def merge_labels(candidates: Mapping[str, Candidate], index: pd.Index) -> pd.DataFrame:
    """One label per row by precedence: columns `label`, `label_source`, `label_confidence`."""
    unknown = set(candidates) - set(LABEL_SOURCES)
    if unknown:
        raise ValueError(f"unknown label sources {sorted(unknown)}; expected {LABEL_SOURCES}")
    names = [name for name in LABEL_SOURCES if name in candidates]
    rows = np.arange(len(index))
    labels = [to_arrow(candidates[n].labels.reindex(index).astype(STRING)) for n in names]
    present = np.stack([*(np.asarray(a.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
                          for a in labels), np.ones(len(index), dtype=bool)])
    winner = present.argmax(axis=0)  # the strongest source with a label, else len(names)
    labeled = winner < len(names)
    scores = np.stack([*(_scores(candidates[n].confidence, index) for n in names),
                       np.full(len(index), np.nan)])
    label = pc.coalesce(*labels) if names else pa.nulls(len(index), pa.large_string())
    source = pa.array(names, pa.large_string()).take(
        pa.array(winner.astype(np.int32), mask=~labeled))
    return pd.DataFrame({"label": string_series(label, index),
                         "label_source": string_series(source, index),
                         "label_confidence": pd.Series(scores[winner, rows], index=index,
                                                       dtype="float64")}, index=index)


def _scores(confidence: pd.Series | float, index: pd.Index) -> np.ndarray:
    """A source's confidence per row (float64)."""
    if isinstance(confidence, pd.Series):
        return confidence.reindex(index).to_numpy(dtype="float64", na_value=np.nan)
    return np.full(len(index), float(confidence))


def _counts(codes: np.ndarray, names: list[str]) -> dict[str, int]:
    """Rows per name of `names` (`codes` index it), in name order, names without rows left out."""
    counts = np.bincount(codes, minlength=len(names))
    return {name: int(counts[i]) for i, name in sorted(enumerate(names), key=lambda p: p[1])
            if counts[i]}


def precedence_report(candidates: Mapping[str, Candidate],
                      merged: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per source of `candidates`, what precedence did with its labels in `merged`:

    - `offered`: rows it has a label for;
    - `applied`: rows whose label it gave;
    - `replaced`: {source: rows} of the labels it took precedence over: on each row it labels,
      the strongest weaker source that also has a label there (`unlabeled` when none has);
    - `outranked_by`: {source: rows} of the stronger sources whose label a row kept instead.
    """
    index = merged.index
    names = [name for name in LABEL_SOURCES if name in candidates]
    winner = pc.index_in(to_arrow(merged["label_source"].astype(STRING)),
                         value_set=pa.array(names, pa.large_string()))
    winner = pc.fill_null(winner, -1).to_numpy()
    offered = np.stack([candidates[n].labels.reindex(index).notna().to_numpy() for n in names]
                       + [np.ones(len(index), dtype=bool)])  # the last row: `unlabeled`
    report = {}
    for i, name in enumerate(names):
        has, applied = offered[i], winner == i
        # What each row would have kept without this source: the next source down that has one.
        fallback = i + 1 + offered[i + 1:].argmax(axis=0)
        report[name] = {
            "offered": int(has.sum()),
            "applied": int(applied.sum()),
            "replaced": _counts(fallback[applied], [*names, "unlabeled"]),
            "outranked_by": _counts(winner[has & ~applied], names),
        }
    return report
