"""The pipeline: one module per stage, named after it, each declaring `STAGE` (`stage.Stage`).

`STAGES` lists them in the order they run; the command line, the runner (`runner`), the
export stage's metrics and `dvc.yaml` (checked by a test) follow it. Stage modules import the
domain packages they wire together only inside their `run`, so that importing `STAGES` stays
cheap (`builder --help`, `builder validate`).
"""

from __future__ import annotations

import importlib
import importlib.util

from builder.pipeline.stage import Stage

#: The stages in the order they run.
STAGE_ORDER = ("compose", "ingest", "label", "split", "augment", "export")


def _fallback(name: str) -> Stage:
    # Until pipeline/label.py and pipeline/augment.py exist: the old stage functions.
    def run(ctx, source):
        if name == "label":
            from builder.labeling.stage import run as old
        else:
            from builder.augment import run as old
        return old(ctx)

    reads, writes, sections, code = {
        "label": ("ingest", ("labeled", "metrics/label.json"), ("seed", "task", "labeling"),
                  ("builder/labeling",)),
        "augment": ("split", ("augmented", "metrics/augment.json"),
                    ("seed", "task", "balance", "synthetic"),
                    ("builder/augment.py", "builder/balance", "builder/synthetic")),
    }[name]
    return Stage(name, reads, writes, sections, code, run)


def _load(name: str) -> Stage:
    if importlib.util.find_spec(f"builder.pipeline.{name}") is None:
        return _fallback(name)
    return importlib.import_module(f"builder.pipeline.{name}").STAGE


STAGES: tuple[Stage, ...] = tuple(_load(name) for name in STAGE_ORDER)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage_named(name: str) -> Stage:
    """The stage called `name`."""
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise KeyError(name)
