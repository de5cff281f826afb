"""Source types; importing this package registers them all."""

from builder.sources import csv, feedback, hf, jsonl, parquet, sql  # noqa: F401
