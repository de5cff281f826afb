"""Moved: splitting is `builder.splitting` (the stage is `builder.pipeline.split`). Kept only
for the modules that still import `ARTIFACT` or `SPLIT_COLUMN` from here, until they name the
stage and read `builder.rows.SPLIT`."""

from builder.rows import SPLIT as SPLIT_COLUMN  # noqa: F401

ARTIFACT = "split"
