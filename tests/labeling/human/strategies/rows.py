"""What the strategy tests share: a text task and a labeled table of ten rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from builder.recipe.schema import TaskConfig

TASK = TaskConfig(type="text-classification", text="text", label="label", classes=["pos", "neg"])
NA = None


def labeled() -> pd.DataFrame:
    """A labeled.parquet as the label stage writes it (the contract columns)."""
    s = lambda values: pd.array(values, dtype="string")  # noqa: E731
    return pd.DataFrame({
        "_id": s([f"q/{i}" for i in range(10)]),
        "text": s([f"text {i}" for i in range(10)]),
        "label": s(["pos", "pos", "neg", NA, "neg", "pos", "neg", "pos", "neg", "pos"]),
        "label_source": s(["gold", "weak", "weak", NA, "pseudo", "weak", "human", "weak", "weak",
                           "feedback"]),
        "label_confidence": [1.0, 0.55, 0.9, np.nan, 0.8, 0.6, 1.0, 0.51, 0.7, 1.0],
        "weak_label": s([NA, "pos", "neg", NA, NA, "pos", "neg", "pos", "neg", NA]),
        "weak_confidence": [np.nan, 0.55, 0.9, np.nan, np.nan, 0.6, 0.8, 0.51, 0.7, np.nan],
        "lf_conflict": [False, True, False, False, False, True, True, True, False, False],
        "model_label": s(["pos", "neg", "neg", "neg", "neg", "neg", "neg", "pos", "pos", "pos"]),
        "model_confidence": [0.9, 0.7, 0.95, 0.4, 0.8, 0.65, 0.9, 0.6, 0.75, 0.9],
    })


def picks(queue) -> list[str]:
    return queue.rows["_id"].tolist()
