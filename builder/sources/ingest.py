"""Moved: ingesting is `builder.sources.passes` (the stage is `builder.pipeline.ingest`). Kept
only for the old label stage's `ARTIFACT` import, until `builder.pipeline.label` replaces it."""

ARTIFACT = "ingested"
