"""Labeling function kinds; importing this package registers them all."""

from builder.labeling.kinds import (  # noqa: F401
    expression,
    keyword,
    lookup,
    python,
    regex,
    threshold,
    zero_shot,
)
