"""`type: normalize_text`: Unicode normalisation, case, HTML and whitespace clean-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from builder.errors import require_columns
from builder.recipe.registry import TRANSFORMS
from builder.recipe.schema import TransformConfig
from builder.transforms.base import Transform


@dataclass(kw_only=True)
class NormalizeTextConfig(TransformConfig):
    """Which text columns to clean and how."""

    columns: list[str]
    unicode: Literal["NFC", "NFKC", "NFD", "NFKD"] | None = "NFKC"
    lower: bool = False
    strip_html: bool = False
    collapse_whitespace: bool = True
    strip: bool = True


@TRANSFORMS.register("normalize_text")
class NormalizeText(Transform):
    """Runs Arrow's string kernels over whole columns."""

    Config = NormalizeTextConfig

    def apply(self, df):
        from builder.columns import string_series, to_arrow

        require_columns(df, self.config.columns, self.owner)
        df = df.copy()
        for column in self.config.columns:
            df[column] = string_series(self.normalize(to_arrow(df[column].astype("string[pyarrow]"))),
                                       df.index)
        return df

    def normalize(self, text):
        import pyarrow.compute as pc

        config = self.config
        if config.unicode:
            text = pc.utf8_normalize(text, form=config.unicode)
        if config.strip_html:
            text = pc.replace_substring_regex(text, r"<[^>]*>", " ")
        if config.lower:
            text = pc.utf8_lower(text)
        if config.collapse_whitespace:
            text = pc.replace_substring_regex(text, r"\s+", " ")
        if config.strip:
            text = pc.utf8_trim_whitespace(text)
        return text
