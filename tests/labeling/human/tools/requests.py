"""What the tool tests share: a text task, an export request of two rows, records in brief."""

from __future__ import annotations

import numpy as np
import pandas as pd

from builder.labeling.human.tools import ExportRequest
from builder.recipe.schema import TaskConfig

TASK = TaskConfig(type="text-classification", text="text", label="label", classes=["pos", "neg"])


def brief(parsed) -> list[tuple]:
    return [(r["_id"], r["label"], r["annotator"], r["where"]) for r in parsed.records]


def request(task: TaskConfig = TASK, content: list[str] | None = None) -> ExportRequest:
    rows = pd.DataFrame({
        "_id": ["shop/r2", "shop/r7"],
        "text": ['It stopped working,\nsupport "never" answered.', "Too small, returned it"],
        "prediction": pd.array(["neg", pd.NA], dtype="string"),
        "score": [0.61, np.nan],
        "price": [9.5, 3.0],
    })
    return ExportRequest(rows=rows, task=task, instructions="Is the review positive or negative?",
                         content_columns=content or ["text"], strategy="least_confident")
