"""The `synthetic` section of a recipe."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(kw_only=True)
class SyntheticConfig:
    """Synthetic rows from SDV generators (filled in by the synthetic-data issue)."""

    generator: str | None = None
    mode: str = "augment"
