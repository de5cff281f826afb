"""Source types (one module each); importing this package registers them all.

Ingesting every source through the transforms is `passes` (the driver), with `normalize`,
`plan`, `parts` and `renumbering`; the ingest stage (`builder.pipeline.ingest`) wires it."""

from builder.sources import csv, feedback, hf, jsonl, parquet, sql  # noqa: F401
from builder.sources import image_manifest, imagefolder  # noqa: F401
