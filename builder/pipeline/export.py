"""The export stage: the Hugging Face `DatasetDict` (`dataset/`), its Hub layout (`hub/`), the
dataset card and the build's metrics (`builder.export`), from `augmented/`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.pipeline.stage import Stage

if TYPE_CHECKING:
    from builder.context import Context


def run(ctx: Context, source: Path | None) -> dict[str, Any]:
    """`augmented/` -> `dataset/`, `hub/`, `README.md`, `metrics.json`; returns the export
    stage's own metrics."""
    from builder.export.stage import run as export

    return export(ctx)


STAGE = Stage(
    name="export",
    reads="augment",
    writes=("dataset", "hub", "README.md", "metrics.json"),
    sections=("name", "task", "split", "publish"),
    code=("builder/export", "builder/balance/card.py", "builder/synthetic/card.py"),
    run=run,
)
