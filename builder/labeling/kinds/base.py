"""The labeling function step: a pandas batch in, one vote per row out (-1 = abstain).

Kinds import numpy, pandas and pyarrow inside their methods, so that validating a recipe
(which loads every kind's config class) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from builder.labeling.config import FunctionConfig

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from builder.labeling.features import BatchFeatures


class LabelingFunction:
    """One labeling function. Subclasses set `Config` and implement `votes`.

    `declare` runs on every function of a batch before any `votes`, so that shared work (one
    keyword scan for all keyword functions on a column) is known in full before it runs.
    """

    Config: ClassVar[type[FunctionConfig]] = FunctionConfig
    type_name: ClassVar[str]
    #: True for kinds that call Python once per row (shown as slow in the diagnostics).
    slow: ClassVar[bool] = False

    def __init__(self, name: str, config: Any, classes: list[str], text_column: str | None,
                 root: Path):
        self.name = name
        self.config = config
        self.classes = classes
        self.text_column = text_column
        self.root = root

    @property
    def owner(self) -> str:
        """How messages name this function."""
        return f"labeling function '{self.name}' ({self.type_name})"

    @property
    def code(self) -> int:
        """The class index this function votes for (-1 when it returns class names itself)."""
        label = self.config.label
        return self.classes.index(label) if label is not None else -1

    def column_name(self) -> str:
        """The column a text function reads: its `column`, else the task's text column."""
        column = getattr(self.config, "column", None) or self.text_column
        if column is None:
            from builder.errors import DataError

            raise DataError(f"{self.owner}: no `column` given and the task names no text column.")
        return column

    def declare(self, features: BatchFeatures) -> None:
        """Tell the batch's feature cache what this function will ask for (optional)."""

    def votes(self, batch: pd.DataFrame, features: BatchFeatures) -> np.ndarray:
        """An int8 array: the class index voted for each row, or -1 to abstain."""
        raise NotImplementedError

    def fire(self, mask: np.ndarray) -> np.ndarray:
        """Votes for `self.code` where `mask` is true, abstain elsewhere."""
        import numpy as np

        return np.where(mask, np.int8(self.code), np.int8(-1)).astype(np.int8)
