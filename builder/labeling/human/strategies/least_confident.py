"""`--strategy least_confident`: rows without a gold or human label, lowest confidence first
(`label_confidence`, else `weak_confidence`, `model_confidence`, the deployed model's feedback
score; no confidence at all counts as 0)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from builder.labeling.human.config import QUEUE_STRATEGIES
from builder.labeling.human.strategies.base import Strategy, numeric

if TYPE_CHECKING:
    import pandas as pd


@QUEUE_STRATEGIES.register("least_confident")
class LeastConfident(Strategy):
    """The rows the machine is least sure of."""

    columns = ("label_confidence", "label_source")

    def priority(self, df: pd.DataFrame) -> pd.Series:
        return confidence_of(df)


def confidence_of(df: pd.DataFrame) -> pd.Series:
    """The best confidence known for each row's current guess; 0 where there is none."""
    import numpy as np
    import pandas as pd

    from builder.rows import FEEDBACK_SCORE

    confidence = pd.Series(np.nan, index=df.index, dtype="float64")
    # First found first.
    for column in ("label_confidence", "weak_confidence", "model_confidence", FEEDBACK_SCORE):
        if column in df.columns:
            confidence = confidence.fillna(numeric(df, column))
    return confidence.fillna(0.0)
