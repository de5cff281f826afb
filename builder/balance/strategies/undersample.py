"""`undersample`: the class keeps `target` of its rows, the ones with the smallest keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from builder.balance.strategies.base import (STRATEGIES, Choice, Strategy, TableProfile,
                                             expected)
from builder.errors import DataError

if TYPE_CHECKING:
    import numpy as np

    from builder.balance.planner import ClassPlan


@STRATEGIES.register("undersample")
class Undersample(Strategy):
    """Random under-sampling: a row stays when its key (a seeded hash of its `_id`) is among
    the class's `target` smallest, whatever the partitioning."""

    removes = True
    description = "random under-sampling"

    def reason(self, where: str, count: int, target: int, profile: TableProfile) -> str:
        if target > count:
            raise DataError(f"{where}, but 'undersample' can only remove rows. Expected "
                            f"{expected(removing=False)}.")
        return f"the recipe asks for random under-sampling to {target} rows"

    def select(self, plan: ClassPlan, rows: np.ndarray, order: np.ndarray,
               total: int) -> Choice:
        return Choice(drop=order[plan.target:])
