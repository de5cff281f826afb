"""The pipeline: one module per stage, named after it, each declaring `STAGE` (`stage.Stage`).

`STAGES` lists them in the order they run; the command line, the runner (`runner`), the
export stage's metrics and `dvc.yaml` (checked by a test) follow it. Stage modules import the
domain packages they wire together only inside their functions, so that importing `STAGES`
stays cheap (`builder --help`, `builder validate`). A stage never imports another stage: it
names the stage whose artifact it reads.
"""

from __future__ import annotations

from builder.pipeline import augment, compose, export, ingest, label, split
from builder.pipeline.stage import Stage

#: The stages in the order they run.
STAGES: tuple[Stage, ...] = (compose.STAGE, ingest.STAGE, label.STAGE, split.STAGE,
                             augment.STAGE, export.STAGE)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage_named(name: str) -> Stage:
    """The stage called `name`."""
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise KeyError(name)
