"""SDV constraints (`sdv.cag`), one registered type each: `synthetic.constraints.NAME: {type: ...}`.

| type | SDV class | keys | rule in every synthetic row |
|---|---|---|---|
| `inequality` | `Inequality` | `low`, `high`, `strict` | `low <= high` (`<` when strict) |
| `range` | `Range` | `low`, `middle`, `high`, `strict` | `low <= middle <= high` |
| `fixed_combinations` | `FixedCombinations` | `columns` | the values of `columns` form a combination seen in the data |

The real train rows must satisfy a constraint already; SDV then generates only rows that do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from builder.synthetic.config import CONSTRAINTS, ConstraintConfig, Problems


class Constraint:
    """Builds an `sdv.cag` constraint from its config. Subclasses set `Config`."""

    Config = ConstraintConfig
    type_name: str

    def __init__(self, config: ConstraintConfig):
        self.config = config

    def sdv_constraint(self, drop: frozenset[str] = frozenset()) -> Any | None:
        """The SDV constraint for a table without the columns in `drop` (None if moot there)."""
        raise NotImplementedError


def _distinct(columns: list[str], key: str) -> Problems:
    seen = set()
    for column in columns:
        if column in seen:
            yield key, f"names the column '{column}' twice; expected distinct columns."
        seen.add(column)


def _not_label(config, ctx) -> Problems:
    label = ctx.recipe.task.label
    for key in ("low", "middle", "high"):
        if getattr(config, key, None) == label:
            yield key, (f"is the label column '{label}', which holds classes; expected a "
                        "numerical or datetime column.")


@dataclass(kw_only=True)
class InequalityConfig(ConstraintConfig):
    """`low <= high` in every row (`strict: true` for `<`)."""

    low: str
    high: str
    strict: bool = False

    def column_names(self) -> list[str]:
        return [self.low, self.high]

    def check(self, ctx) -> Problems:
        yield from _distinct(self.column_names(), "high")
        yield from _not_label(self, ctx)


@CONSTRAINTS.register("inequality")
class Inequality(Constraint):
    Config = InequalityConfig

    def sdv_constraint(self, drop=frozenset()):
        from sdv.cag import Inequality as SDVInequality

        c = self.config
        return SDVInequality(low_column_name=c.low, high_column_name=c.high,
                             strict_boundaries=c.strict)


@dataclass(kw_only=True)
class RangeConfig(ConstraintConfig):
    """`low <= middle <= high` in every row (`strict: true` for `<`)."""

    low: str
    middle: str
    high: str
    strict: bool = False

    def column_names(self) -> list[str]:
        return [self.low, self.middle, self.high]

    def check(self, ctx) -> Problems:
        yield from _distinct(self.column_names(), "high")
        yield from _not_label(self, ctx)


@CONSTRAINTS.register("range")
class Range(Constraint):
    Config = RangeConfig

    def sdv_constraint(self, drop=frozenset()):
        from sdv.cag import Range as SDVRange

        c = self.config
        return SDVRange(low_column_name=c.low, middle_column_name=c.middle,
                        high_column_name=c.high, strict_boundaries=c.strict)


@dataclass(kw_only=True)
class FixedCombinationsConfig(ConstraintConfig):
    """Only combinations of `columns`' values that occur in the real data."""

    columns: list[str] = field(default_factory=list)

    def column_names(self) -> list[str]:
        return list(self.columns)

    def check(self, ctx) -> Problems:
        if len(self.columns) < 2:
            yield "columns", f"found {len(self.columns)} column(s), expected at least 2."
        yield from _distinct(self.columns, "columns")


@CONSTRAINTS.register("fixed_combinations")
class FixedCombinations(Constraint):
    Config = FixedCombinationsConfig

    def sdv_constraint(self, drop=frozenset()):
        from sdv.cag import FixedCombinations as SDVFixedCombinations

        # A per-class model has no label column: its rows all share one class, so the label
        # can be left out of the combination (with one column left, nothing is constrained).
        kept = [c for c in self.config.columns if c not in drop]
        if len(kept) < 2:
            return None
        return SDVFixedCombinations(column_names=kept)
