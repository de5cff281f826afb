"""`smote`: new rows interpolated between a row and its nearest neighbours of the same class."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.balance.strategies.base import (STRATEGIES, Outcome, Strategy, TableProfile,
                                             TrainSample)
from builder.errors import DataError

if TYPE_CHECKING:
    from builder.balance.planner import ClassPlan


@STRATEGIES.register("smote")
class Smote(Strategy):
    """SMOTE, SMOTENC or SMOTEN by the column kinds (`builder.balance.smote`)."""

    adds = True
    origin = "smote"
    description = "smote"
    rank = 20

    def problem(self, recipe: Any) -> str | None:
        if recipe.task.type == "text-classification":
            return ("is 'smote', which cannot interpolate the free text of a "
                    "text-classification task; expected oversample.")
        return None

    def reason(self, where: str, count: int, target: int, profile: TableProfile) -> str:
        super().reason(where, count, target, profile)
        if count < 2:
            raise DataError(f"{where}, but SMOTE interpolates between two rows of a class and "
                            f"there {'is' if count == 1 else 'are'} {count}. Expected oversample.")
        return f"the recipe asks for {profile.smote_variant}"

    def build(self, plan: ClassPlan, sequence: int, train: TrainSample) -> Outcome:
        from builder.balance.smote import smote
        from builder.columns import sequence_ids

        rows, variant = smote(train.rows[train.features], train.rows[train.label], plan.name,
                              plan.change, train.k_neighbors, train.seed("smote", plan.name))
        ids = sequence_ids(f"smote/{plan.name}", len(rows))
        return Outcome(rows=train.generated(rows, plan.name, self.origin, ids), method=variant)
