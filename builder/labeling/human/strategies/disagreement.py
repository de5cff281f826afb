"""`--strategy disagreement`: rows where the label model and the pseudo-label model disagree
(`weak_label` != `model_label`), most confident disagreements first (sum of both confidences):
likely label errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.labeling.human.config import QUEUE_STRATEGIES
from builder.labeling.human.strategies.base import Strategy, numeric, zeros
from builder.labeling.human.strategies.lf_conflict import FUNCTIONS_NEEDED

if TYPE_CHECKING:
    import pandas as pd


@QUEUE_STRATEGIES.register("disagreement")
class Disagreement(Strategy):
    """Rows whose weak label and model label differ."""

    columns = ("weak_label", "model_label", "label_source")

    def undeclared(self, labeling: Any) -> list[str]:
        needs = [] if labeling.functions else [FUNCTIONS_NEEDED]
        if labeling.pseudo is None and labeling.label_errors is None:
            needs.append("model-assisted labels (labeling.pseudo)")
        return needs

    def candidates(self, df: pd.DataFrame, open_rows: pd.Series) -> pd.Series:
        weak, model = df["weak_label"].astype("string"), df["model_label"].astype("string")
        return super().candidates(df, open_rows) & (
            weak.notna() & model.notna() & (weak != model)).fillna(False)

    def priority(self, df: pd.DataFrame) -> pd.Series:
        total = zeros(df)
        for column in ("weak_confidence", "model_confidence"):
            if column in df.columns:
                total += numeric(df, column).fillna(0.0)
        return -total
