"""SDV single-table generators, one registered type each: `synthetic.generator: {type: ...}`.

| type | SDV class | options |
|---|---|---|
| `gaussian_copula` | `GaussianCopulaSynthesizer` | `default_distribution` |
| `ctgan` | `CTGANSynthesizer` | `epochs`, `batch_size`, `pac` |
| `tvae` | `TVAESynthesizer` | `epochs`, `batch_size` |
| `copulagan` | `CopulaGANSynthesizer` | `epochs`, `batch_size`, `pac`, `default_distribution` |

SDV is imported inside `synthesizer()` only: importing it costs ~6 s and 700 MiB. (A per-class
Gaussian copula is fitted by `builder.synthetic.copula` when the table allows it.)

Training budget of a per-class model: SDV's `epochs` are passes over the rows a model is fitted
on, and CTGAN and TVAE take one optimiser step per batch of 500 rows, so a model of a 266-row
class would train 1/16 of the steps a model of an 8,000-row table gets from the same `epochs`. A model fitted
on part of the train split (a class) therefore trains for enough epochs to take at least the
optimiser steps `epochs` gives a model of the whole train split (`TorchGenerator.epochs_for`);
the epochs used are in the metrics (`synthetic.models.<class>.epochs`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from builder.synthetic.config import GENERATORS, GeneratorConfig, Problems

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


def _check_distribution(value: str | None) -> Problems:
    if value is not None and value not in DISTRIBUTIONS:
        from builder.errors import did_you_mean, one_of

        yield "default_distribution", (f"found '{value}', expected one of {one_of(DISTRIBUTIONS)}."
                                       + did_you_mean(value, DISTRIBUTIONS))


def _check_training(epochs: int, batch_size: int, pac: int | None) -> Problems:
    if epochs < 1:
        yield "epochs", f"found {epochs}, expected a positive number."
    if batch_size < 2 or batch_size % 2:
        yield "batch_size", f"found {batch_size}, expected an even number of at least 2."
    if pac is not None:
        if pac < 1:
            yield "pac", f"found {pac}, expected a positive number."
        elif batch_size % pac:
            yield "batch_size", f"found {batch_size}, expected a multiple of pac ({pac})."


@dataclass(kw_only=True)
class GaussianCopulaConfig(GeneratorConfig):
    """A Gaussian copula over per-column marginal distributions (fast, deterministic fit).

    The marginals default to `norm`, not SDV's `beta`: beta's maximum-likelihood fit can diverge
    (on mlc_churn's `total_eve_minutes` it returned a = 3.9e6, and every sampled value was the
    same), while a normal fit is closed-form; values stay within the real range either way.
    """

    default_distribution: str = "norm"

    def check(self, ctx) -> Problems:
        yield from _check_distribution(self.default_distribution)


@GENERATORS.register("gaussian_copula")
class GaussianCopula(Generator):
    Config = GaussianCopulaConfig
    sdv_class = "GaussianCopulaSynthesizer"


@dataclass(kw_only=True)
class CTGANConfig(GeneratorConfig):
    """A conditional GAN; slow to fit (its per-column mixture models dominate on small data)."""

    epochs: int = 300
    batch_size: int = 500
    pac: int = 10

    def check(self, ctx) -> Problems:
        yield from _check_training(self.epochs, self.batch_size, self.pac)


@GENERATORS.register("ctgan")
class CTGAN(TorchGenerator):
    Config = CTGANConfig
    sdv_class = "CTGANSynthesizer"


@dataclass(kw_only=True)
class TVAEConfig(GeneratorConfig):
    """A variational autoencoder for tables."""

    epochs: int = 300
    batch_size: int = 500

    def check(self, ctx) -> Problems:
        yield from _check_training(self.epochs, self.batch_size, None)


@GENERATORS.register("tvae")
class TVAE(TorchGenerator):
    Config = TVAEConfig
    sdv_class = "TVAESynthesizer"

    def steps_per_epoch(self, rows: int) -> int:
        """TVAE keeps the last partial batch."""
        return math.ceil(rows / self.config.batch_size)


@dataclass(kw_only=True)
class CopulaGANConfig(CTGANConfig):
    """CTGAN on columns first mapped through Gaussian-copula marginals."""

    default_distribution: str = "beta"

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        yield from _check_distribution(self.default_distribution)


@GENERATORS.register("copulagan")
class CopulaGAN(TorchGenerator):
    Config = CopulaGANConfig
    sdv_class = "CopulaGANSynthesizer"
