"""The `balance` section of a recipe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(kw_only=True)
class BalanceConfig:
    """The class distribution wanted in the train split (filled in by the balancing issue)."""

    target: Any = None
    strategy: str = "auto"
