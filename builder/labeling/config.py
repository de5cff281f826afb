"""The `labeling` section of a recipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from builder.labeling.human.config import HumanConfig


@dataclass(kw_only=True)
class LabelingConfig:
    """How rows get labels. The backbone passes the task's gold label column through."""

    functions: dict[str, Any] = field(default_factory=dict)
    model: Any = None
    pseudo: Any = None
    human: HumanConfig = field(default_factory=HumanConfig)
    unlabeled: Literal["drop", "keep"] = "drop"
