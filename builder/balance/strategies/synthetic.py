"""`synthetic`: the class's missing rows come from `synthetic.generator`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.balance.strategies.base import (STRATEGIES, Outcome, Strategy, TableProfile,
                                             TrainSample)
from builder.errors import DataError

if TYPE_CHECKING:
    from builder.balance.planner import ClassPlan

#: Fewest rows of a class a per-class generator is fitted on.
MIN_MODEL_ROWS = 20


@STRATEGIES.register("synthetic")
class Synthetic(Strategy):
    """Asks the generator for the gap; the augment stage makes the rows with the other
    synthetic requests (`builder.synthetic.requests`)."""

    adds = True
    origin = "synthetic"
    description = "synthetic"
    rank = 30

    def problem(self, recipe: Any) -> str | None:
        if recipe.synthetic.generator is None:
            return ("is 'synthetic' but synthetic.generator is not set; expected a generator, "
                    "e.g. gaussian_copula.")
        return None

    def reason(self, where: str, count: int, target: int, profile: TableProfile) -> str:
        super().reason(where, count, target, profile)
        if count < MIN_MODEL_ROWS:
            raise DataError(f"{where}, but a generator needs at least {MIN_MODEL_ROWS} rows of a "
                            "class to learn from. Expected smote or oversample for this class.")
        return "the recipe asks for synthetic"

    def build(self, plan: ClassPlan, sequence: int, train: TrainSample) -> Outcome:
        return Outcome(generator_rows=plan.change)
