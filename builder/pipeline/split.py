"""The split stage: each row's split from a hash of its id (or group) and the seed
(`builder.splitting`), `labeled/` -> `split/`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.pipeline.stage import KERNEL_CODE, Stage

if TYPE_CHECKING:
    from builder.context import Context


def run(ctx: Context, source: Path | None) -> dict[str, Any]:
    """`labeled/` -> `split/`, each partition's rows grouped by split; writes and returns
    `metrics/split.json`."""
    from builder import artifacts
    from builder.partitions import Partitions
    from builder.splitting import split

    metrics = split(ctx, Partitions.open(source, STAGE.reads), ctx.artifact(STAGE.artifact))
    artifacts.write_json(metrics, ctx.metrics_path(STAGE.name))
    return metrics


STAGE = Stage(
    name="split",
    reads="label",
    writes=("split", "metrics/split.json"),
    sections=("seed", "task", "split"),
    code=(*KERNEL_CODE, "builder/splitting.py"),
    run=run,
)
