"""The compose stage: the resolved recipe (`recipe.yaml`, `engine.yaml`) and the fingerprints
of its inputs (`inputs.yaml`). The runner composes the recipe (Hydra) into the context first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.pipeline.stage import KERNEL_CODE, Stage

if TYPE_CHECKING:
    from builder.context import Context


def run(ctx: Context, source: Path | None, inputs_behind: bool = False) -> dict[str, Any]:
    """Write `recipe.yaml`, `engine.yaml` and `inputs.yaml` when they change (`inputs_behind`:
    the latter in a thread, see `fingerprints.write_resolved`)."""
    from builder.fingerprints import write_resolved

    write_resolved(ctx, inputs_behind)
    return {}


STAGE = Stage(
    name="compose",
    reads=None,
    writes=("recipe.yaml", "inputs.yaml"),
    sections=(),
    code=(*KERNEL_CODE, "builder/fingerprints.py"),
    run=run,
)
