"""The ingest stage: read every source in pieces, normalise them, run the transforms
(`builder.sources`, `builder.transforms`) -> `ingested/`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.pipeline.stage import KERNEL_CODE, Stage

if TYPE_CHECKING:
    from builder.context import Context


def run(ctx: Context, source: Path | None) -> dict[str, Any]:
    """Sources -> transforms -> `ingested/`; writes and returns `metrics/ingest.json`."""
    from builder import artifacts
    from builder.sources.columns_check import check_ingest
    from builder.sources.passes import ingest

    check_ingest(ctx)  # every column the recipe names, before any row is read
    metrics = ingest(ctx, ctx.artifact(STAGE.artifact))
    artifacts.write_json(metrics, ctx.metrics_path(STAGE.name))
    return metrics


STAGE = Stage(
    name="ingest",
    reads=None,
    writes=("ingested", "metrics/ingest.json"),
    sections=("name", "task", "sources", "transforms"),
    code=(*KERNEL_CODE, "builder/engine", "builder/fingerprints.py", "builder/recipe",
          "builder/sources", "builder/transforms", "builder/images", "builder/export/__init__.py",
          "builder/export/config.py", "builder/publish/__init__.py",
          "builder/publish/endpoint.py"),
    run=run,
)
