"""`type: keyword`: vote when any (or all) of a list of words occur in a text column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from builder.labeling.config import FUNCTIONS, FunctionConfig, Problems
from builder.labeling.kinds.base import LabelingFunction


@dataclass(kw_only=True)
class KeywordConfig(FunctionConfig):
    """`words: [great, excellent]`, `mode: any|all`, `case_sensitive` (default false),
    `whole_word` (default true: not preceded or followed by a letter, digit or `_`),
    `column` (default: the task's text column)."""

    label: str
    words: list[str]
    column: str | None = None
    mode: Literal["any", "all"] = "any"
    case_sensitive: bool = False
    whole_word: bool = True

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        if not self.words:
            yield "words", "is empty; expected at least one word."
        for i, word in enumerate(self.words):
            if not word.strip():
                yield f"words[{i}]", "is blank; expected a word or phrase."
            elif "\n" in word or "\r" in word:
                yield f"words[{i}]", f"found {word!r}, expected a word or phrase on one line."
        if self.column is None and not ctx.recipe.task.text:
            yield "column", "is missing and task.text names no text column; expected a column."


@FUNCTIONS.register("keyword")
class Keyword(LabelingFunction):
    """All keyword functions on one column share a single multi-word scan of that column."""

    Config = KeywordConfig

    def words(self) -> list[str]:
        words = self.config.words
        return list(words) if self.config.case_sensitive else [w.lower() for w in words]

    def declare(self, features):
        features.declare_words(self.column_name(), self.config.case_sensitive, self.words())

    def votes(self, batch, features):
        found = features.word_rows(self.column_name(), self.config.case_sensitive,
                                   self.words(), self.config.whole_word, self.config.mode)
        return self.fire(found)
