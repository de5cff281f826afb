"""Moved to `builder.pipeline` (the stage list) and `builder.pipeline.runner`; this module
re-exports them until every importer has moved."""

from builder.context import Context, derive_seed  # noqa: F401
from builder.pipeline import STAGE_NAMES  # noqa: F401
from builder.pipeline.runner import (ProgressDisplay, build, compose_stage,  # noqa: F401
                                     open_context, progress_display, run_stage)
