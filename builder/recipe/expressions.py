"""Pandas query expressions in a recipe (a `filter` transform's `query`, an `expression`
labeling function): their syntax and the columns they name, checked without reading data."""

from __future__ import annotations

import ast
import re

#: A backticked column name (`` `unit price` ``), which pandas reads as one name.
BACKTICKED = re.compile(r"`[^`]*`")


def syntax_problem(expression: str) -> str | None:
    """Why `expression` is not a pandas query expression, or None when it parses."""
    if "@" in expression:
        return "uses '@' (a local variable); a recipe's expression may only name columns."
    try:
        ast.parse(BACKTICKED.sub("_column", expression), mode="eval")
    except SyntaxError as error:
        at_end = not error.offset or error.offset > len(expression)
        where = "at the end" if at_end else f"at column {error.offset}"
        return f"is not a valid expression ({error.msg} {where})."
    return None


#: Names an expression may use that are no columns.
CONSTANTS = {"True", "False", "None", "true", "false", "nan", "inf", "NaN"}


def query_names(expression: str) -> list[str]:
    """The columns a query expression names: bare names (not attributes nor called
    functions) and backticked names, in order of appearance, once each."""
    quoted = BACKTICKED.findall(expression)
    try:
        tree = ast.parse(BACKTICKED.sub("_column", expression), mode="eval")
    except SyntaxError:
        return []
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called]
    found = [n.id for n in sorted(names, key=lambda n: n.col_offset)
             if n.id != "_column" and n.id not in CONSTANTS]
    return list(dict.fromkeys(found + [q.strip("`") for q in quoted]))
