"""`type: expression`: vote where a boolean pandas expression over columns is true."""

from __future__ import annotations

from dataclasses import dataclass

from builder.labeling.config import FUNCTIONS, FunctionConfig, Problems
from builder.labeling.kinds.base import LabelingFunction
from builder.recipe.expressions import syntax_problem


@dataclass(kw_only=True)
class ExpressionConfig(FunctionConfig):
    """`expression: "rating >= 4 and text.str.len() < 80"` (like a `filter` transform's query)."""

    label: str
    expression: str

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        problem = syntax_problem(self.expression)
        if problem:
            yield "expression", (f"found '{self.expression}', which {problem} Expected a "
                                 "boolean pandas expression over columns.")


@FUNCTIONS.register("expression")
class Expression(LabelingFunction):
    """Evaluated over whole columns with `DataFrame.eval`; missing results abstain."""

    Config = ExpressionConfig

    def votes(self, batch, features):
        import pandas as pd

        from builder.errors import DataError

        result = batch.eval(self.config.expression, engine="python")
        if not isinstance(result, pd.Series) or not (
                pd.api.types.is_bool_dtype(result) or _booleans(result)):
            raise DataError(
                f"{self.owner}: the expression '{self.config.expression}' gives "
                f"{getattr(result, 'dtype', type(result).__name__)}, expected true/false per row.")
        return self.fire(result.eq(True).fillna(False).to_numpy(dtype=bool))


def _booleans(result) -> bool:
    """An object column whose values are all true, false or missing (a comparison on a
    column of Python objects); text or numbers are not."""
    import pandas as pd

    return result.dtype == object and pd.api.types.infer_dtype(result, skipna=True) in (
        "boolean", "empty")
