"""What every generator is: `Generator` builds an unfitted SDV synthesizer from its config;
`TorchGenerator` adds the training budget of the neural ones; shared option checks."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

from builder.synthetic.config import GeneratorConfig, Problems

DISTRIBUTIONS = ("norm", "beta", "truncnorm", "uniform", "gamma", "gaussian_kde")


class Generator:
    """Builds an unfitted SDV synthesizer from its config. Subclasses set `Config`, `sdv_class`."""

    Config: ClassVar[type[GeneratorConfig]] = GeneratorConfig
    sdv_class: ClassVar[str]
    type_name: ClassVar[str]
    #: Whether the model trains with torch (and so needs torch seeded before `fit`).
    uses_torch: ClassVar[bool] = False

    def __init__(self, config: GeneratorConfig):
        self.config = config

    def options(self, rows: int, table_rows: int | None = None) -> dict[str, Any]:
        """Keyword arguments for the SDV class when fitted on `rows` of the train split's
        `table_rows` rows (None: the whole split): every config key except `type`."""
        return {f.name: getattr(self.config, f.name) for f in dataclasses.fields(self.config)
                if f.name != "type"}

    def synthesizer(self, metadata: Any, rows: int, table_rows: int | None = None) -> Any:
        """An unfitted SDV synthesizer for `metadata`, to be fitted on `rows` rows."""
        import sdv.single_table

        cls = getattr(sdv.single_table, self.sdv_class)
        return cls(metadata, **self.options(rows, table_rows))


class TorchGenerator(Generator):
    """A neural generator trained with torch, in `epochs` passes of `batch_size`-row steps."""

    uses_torch = True

    def steps_per_epoch(self, rows: int) -> int:
        """Optimiser steps in one epoch over `rows` rows (CTGAN drops the last partial batch)."""
        return max(rows // self.config.batch_size, 1)

    def epochs_for(self, rows: int, table_rows: int | None) -> int:
        """The configured epochs, raised so that a model of `rows` rows takes at least the steps
        they give a model of all `table_rows` train rows."""
        epochs = self.config.epochs
        if table_rows is None or table_rows <= rows:
            return epochs
        steps = epochs * self.steps_per_epoch(table_rows)
        return max(epochs, math.ceil(steps / self.steps_per_epoch(rows)))

    def options(self, rows: int, table_rows: int | None = None) -> dict[str, Any]:
        return {**super().options(rows, table_rows), "epochs": self.epochs_for(rows, table_rows),
                "enable_gpu": False}


def check_distribution(value: str | None, extra: tuple[str, ...] = ()) -> Problems:
    """`default_distribution` names one of SDV's marginal families (or one of `extra`)."""
    known = (*DISTRIBUTIONS, *extra)
    if value is not None and value not in known:
        from builder.errors import did_you_mean, one_of

        yield "default_distribution", (f"found '{value}', expected one of {one_of(known)}."
                                       + did_you_mean(value, known))


def check_training(epochs: int, batch_size: int, pac: int | None) -> Problems:
    if epochs < 1:
        yield "epochs", f"found {epochs}, expected a positive number."
    if batch_size < 2 or batch_size % 2:
        yield "batch_size", f"found {batch_size}, expected an even number of at least 2."
    if pac is not None:
        if pac < 1:
            yield "pac", f"found {pac}, expected a positive number."
        elif batch_size % pac:
            yield "batch_size", f"found {batch_size}, expected a multiple of pac ({pac})."
