"""`type: filter`: keep the rows where a pandas query expression is true."""

from __future__ import annotations

import re
from dataclasses import dataclass

from builder.errors import DataError, did_you_mean
from builder.recipe.expressions import query_names, syntax_problem
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import CheckContext, Problems, TransformConfig
from builder.transforms.base import Transform

_UNDEFINED = re.compile(r"name '([^']+)' is not defined")


@dataclass(kw_only=True)
class FilterConfig(TransformConfig):
    """`query: "rating >= 3 and text.str.len() > 10"`; names with spaces go in backticks."""

    query: str

    def check(self, ctx: CheckContext) -> Problems:
        problem = syntax_problem(self.query)
        if problem:
            yield "query", (f"found '{self.query}', which {problem} Expected a pandas query "
                            "expression.")


@TRANSFORMS.register("filter")
class Filter(Transform):
    """Evaluates the expression over whole columns with `DataFrame.eval`."""

    Config = FilterConfig

    def column_refs(self):
        return [("query", name) for name in query_names(self.config.query)]

    def apply(self, df):
        import pandas as pd

        try:
            keep = df.eval(self.config.query, engine="python")
        except pd.errors.UndefinedVariableError as error:
            name = _UNDEFINED.search(str(error))
            columns = [str(c) for c in df.columns]
            raise DataError(
                f"{self.owner}: the query '{self.config.query}' names "
                f"'{name.group(1) if name else error}', which is not a column; the table has "
                f"{', '.join(columns)}." + (did_you_mean(name.group(1), columns) if name else "")
            ) from error
        except Exception as error:  # pandas raises many kinds here: name, type and value errors
            raise DataError(
                f"{self.owner}: the query '{self.config.query}' failed: "
                f"{type(error).__name__}: {error}. Columns: {', '.join(map(str, df.columns))}."
            ) from error
        if not isinstance(keep, pd.Series) or not pd.api.types.is_bool_dtype(keep):
            raise DataError(
                f"{self.owner}: the query '{self.config.query}' gives "
                f"{getattr(keep, 'dtype', type(keep).__name__)}, expected true/false per row."
            )
        return df[keep.fillna(False).astype(bool)]
