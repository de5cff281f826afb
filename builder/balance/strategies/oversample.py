"""`oversample`: duplicates of the class's rows, each row as evenly often as possible."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from builder.balance.strategies.base import STRATEGIES, Choice, Outcome, Strategy, TrainSample

if TYPE_CHECKING:
    from builder.balance.planner import ClassPlan


@STRATEGIES.register("oversample")
class Oversample(Strategy):
    """Random over-sampling: every row `k` times, then the rows with the smallest keys once
    more, so no row is copied far more often than another. The copies are written with the
    part of the row they copy."""

    adds = True
    origin = "oversampled"
    copies = True
    description = "random over-sampling (duplicates)"
    rank = 10

    def select(self, plan: ClassPlan, rows: np.ndarray, order: np.ndarray,
               total: int) -> Choice:
        rounds, rest = divmod(plan.change, len(rows))
        per_row = np.zeros(total, dtype=np.int64)
        per_row[rows] = rounds
        per_row[order[:rest]] += 1
        return Choice(copies=per_row)

    def build(self, plan: ClassPlan, sequence: int, train: TrainSample) -> Outcome:
        from builder.balance.selection import copies_of

        return Outcome(rows=copies_of(train.rows, train.copies(sequence), self.origin))
