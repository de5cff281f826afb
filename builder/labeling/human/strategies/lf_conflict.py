"""`--strategy lf_conflict`: rows where labeling functions voted for different classes
(`lf_conflict`), lowest `weak_confidence` first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.labeling.human.config import QUEUE_STRATEGIES
from builder.labeling.human.strategies.base import Strategy, numeric, zeros

if TYPE_CHECKING:
    import pandas as pd

#: What the strategy needs the recipe to declare when it has no labeling functions.
FUNCTIONS_NEEDED = "labeling functions (labeling.functions)"


@QUEUE_STRATEGIES.register("lf_conflict")
class LabelingFunctionConflict(Strategy):
    """Rows the labeling functions disagree on."""

    columns = ("lf_conflict", "label_source")

    def undeclared(self, labeling: Any) -> list[str]:
        return [] if labeling.functions else [FUNCTIONS_NEEDED]

    def candidates(self, df: pd.DataFrame, open_rows: pd.Series) -> pd.Series:
        return super().candidates(df, open_rows) & df["lf_conflict"].fillna(False).astype(bool)

    def priority(self, df: pd.DataFrame) -> pd.Series:
        if "weak_confidence" in df.columns:
            return numeric(df, "weak_confidence").fillna(0.0)
        return zeros(df)
