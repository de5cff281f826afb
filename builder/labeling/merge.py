"""Label precedence: when a row has labels from several sources, which one it keeps.

human > gold > feedback > weak > pseudo. The flywheel (human and feedback labels) feeds its
labels in as further `Candidate`s; every row ends with one label (or none), its
`label_source` and its `label_confidence`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from builder.columns import STRING

#: Label sources, strongest first.
PRECEDENCE = ("human", "gold", "feedback", "weak", "pseudo")

#: Per-row columns the label stage adds besides the label, `label_source` and
#: `label_confidence` (the contract with the flywheel). They are working columns: export does
#: not publish them unless `task.features` names them.
DETAIL_COLUMNS = ("weak_label", "weak_confidence", "lf_conflict", "model_label",
                  "model_confidence", "suspect_label")


@dataclass
class Candidate:
    """Labels from one source: class names (missing where the source has none) and their
    confidence in [0, 1] (a number for all rows, or one per row)."""

    labels: pd.Series
    confidence: pd.Series | float = 1.0


def merge_labels(candidates: Mapping[str, Candidate], index: pd.Index) -> pd.DataFrame:
    """One label per row by precedence: columns `label`, `label_source`, `label_confidence`."""
    unknown = set(candidates) - set(PRECEDENCE)
    if unknown:
        raise ValueError(f"unknown label sources {sorted(unknown)}; expected {PRECEDENCE}")
    label = pd.Series(pd.NA, index=index, dtype=STRING)
    source = pd.Series(pd.NA, index=index, dtype=STRING)
    confidence = pd.Series(np.nan, index=index, dtype="float64")
    for name in PRECEDENCE:
        if name not in candidates:
            continue
        candidate = candidates[name]
        labels = candidate.labels.reindex(index).astype(STRING)
        take = (label.isna() & labels.notna()).to_numpy()
        if not take.any():
            continue
        label[take] = labels[take]
        source[take] = name
        scores = candidate.confidence
        scores = (scores.reindex(index).to_numpy(dtype="float64") if isinstance(scores, pd.Series)
                  else np.full(len(index), float(scores)))
        confidence[take] = scores[take]
    return pd.DataFrame({"label": label, "label_source": source, "label_confidence": confidence},
                        index=index)
