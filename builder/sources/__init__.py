"""Source types; importing this package registers them all."""

from builder.sources import csv, feedback, hf, jsonl, parquet, sql  # noqa: F401
from builder.sources import image_manifest, imagefolder  # noqa: F401
