"""Transitional: the label stage moved to `builder.pipeline.label` and the `builder.labeling`
modules it wires. Kept only for the modules that still import `ARTIFACT` or `codes` from here;
removed once they read them from the pipeline and `builder.rows`."""

from builder.rows import class_codes as codes  # noqa: F401 (re-exported)

ARTIFACT = "labeled"
