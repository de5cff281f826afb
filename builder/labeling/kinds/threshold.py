"""`type: threshold`: vote when a number (a column, or a text's length) passes a comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from builder.labeling.config import FUNCTIONS, FunctionConfig, Problems
from builder.labeling.kinds.base import LabelingFunction


@dataclass(kw_only=True)
class ThresholdConfig(FunctionConfig):
    """`column`, `op` (`<`, `<=`, `>`, `>=` with `value`; `between` with `low` and `high`,
    both inclusive) and `of`: `value` (a numeric column), `length` (characters of a text
    column) or `words` (whitespace-separated words of a text column)."""

    label: str
    column: str | None = None
    op: Literal["<", "<=", ">", ">=", "between"]
    value: float | None = None
    low: float | None = None
    high: float | None = None
    of: Literal["value", "length", "words"] = "value"

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        if self.op == "between":
            if self.low is None or self.high is None:
                yield "op", "is 'between'; expected both `low` and `high`."
            elif self.low > self.high:
                yield "low", f"found {self.low} > high {self.high}; expected low <= high."
            if self.value is not None:
                yield "value", "is set, but op 'between' uses `low` and `high`; expected no value."
        else:
            if self.value is None:
                yield "value", f"is missing; op '{self.op}' compares with a number `value`."
            if self.low is not None or self.high is not None:
                yield "op", f"is '{self.op}', but `low`/`high` are set; expected op 'between'."
        if self.of != "value" and self.value is not None and self.value < 0:
            yield "value", f"found {self.value}, expected a {self.of} >= 0."
        if self.column is None and (self.of == "value" or not ctx.recipe.task.text):
            yield "column", "is missing; expected the column to compare."


@FUNCTIONS.register("threshold")
class Threshold(LabelingFunction):
    """A vectorized comparison; missing values abstain."""

    Config = ThresholdConfig

    def votes(self, batch, features):
        import numpy as np

        config = self.config
        column = self.column_name()
        if config.of == "length":
            numbers = features.length(column)
        elif config.of == "words":
            numbers = features.word_count(column)
        else:
            numbers = features.numbers(column, self.owner)
        with np.errstate(invalid="ignore"):
            if config.op == "between":
                passed = (numbers >= config.low) & (numbers <= config.high)
            else:
                passed = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                          ">=": np.greater_equal}[config.op](numbers, config.value)
        return self.fire(passed & ~np.isnan(numbers))
