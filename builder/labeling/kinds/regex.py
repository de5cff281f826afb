"""`type: regex`: vote when a regular expression matches somewhere in a text column."""

from __future__ import annotations

import re
from dataclasses import dataclass

from builder.labeling.config import FUNCTIONS, FunctionConfig, Problems
from builder.labeling.kinds.base import LabelingFunction

# Constructs Python's `re` accepts but Arrow's RE2 engine does not.
_UNSUPPORTED = [
    (re.compile(r"\(\?<?[=!]"), "a look-around such as (?=...) or (?<!...)"),
    (re.compile(r"(?<!\\)\\[1-9]"), "a back-reference such as \\1"),
    (re.compile(r"\(\?P=\w+\)"), "a named back-reference (?P=name)"),
    (re.compile(r"(?<!\\)[*+?}]\+"), "a possessive quantifier such as a*+"),
    (re.compile(r"\(\?>"), "an atomic group (?>...)"),
    (re.compile(r"\(\?\("), "a conditional group (?(1)...)"),
    (re.compile(r"(?<!\\)\\Z"), "\\Z (RE2 writes the end of the text \\z)"),
]
# RE2 syntax that Python's `re` rejects: Unicode classes (\pL, \p{Greek}, \PL) and \z. They
# stand in for one character while Python checks the rest of the pattern.
_RE2_ONLY = re.compile(r"(?<!\\)\\(?:[pP](?:\{\w+\}|\w)|z)")


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot run in RE2, or None."""
    try:
        re.compile(_RE2_ONLY.sub("x", pattern))
    except re.error as error:
        return f"does not compile: {error}"
    for finder, what in _UNSUPPORTED:
        if finder.search(pattern):
            return f"uses {what}, which the RE2 engine that runs patterns does not support"
    return None


@dataclass(kw_only=True)
class RegexConfig(FunctionConfig):
    """`pattern` (RE2 syntax: no look-arounds or back-references), `case_sensitive` (default
    true), `column` (default: the task's text column)."""

    label: str
    pattern: str
    column: str | None = None
    case_sensitive: bool = True

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        problem = pattern_problem(self.pattern)
        if problem:
            yield "pattern", f"found '{self.pattern}', which {problem}; expected a regular expression."
        if self.column is None and not ctx.recipe.task.text:
            yield "column", "is missing and task.text names no text column; expected a column."


@FUNCTIONS.register("regex")
class Regex(LabelingFunction):
    """One pass of Arrow's RE2 kernel over the column (shared by identical patterns)."""

    Config = RegexConfig

    def votes(self, batch, features):
        found = features.regex(self.column_name(), self.config.pattern,
                               not self.config.case_sensitive)
        return self.fire(found)
