"""`keep`: the class stays as it is."""

from __future__ import annotations

from builder.balance.strategies.base import STRATEGIES, Strategy, TableProfile
from builder.errors import DataError


@STRATEGIES.register("keep")
class Keep(Strategy):
    """Leaves the class's rows as they are."""

    description = "kept"

    def reason(self, where: str, count: int, target: int, profile: TableProfile) -> str:
        if target != count:
            raise DataError(f"{where}, but 'keep' leaves it at {count}. Expected a strategy that "
                            f"{'adds' if target > count else 'removes'} rows, or auto.")
        return "kept as the recipe asks"
