"""SDV single-table generators, one registered type each: `synthetic.generator: {type: ...}`.

| type | SDV class | options |
|---|---|---|
| `gaussian_copula` | `GaussianCopulaSynthesizer` | `default_distribution` |
| `ctgan` | `CTGANSynthesizer` | `epochs`, `batch_size`, `pac` |
| `tvae` | `TVAESynthesizer` | `epochs`, `batch_size` |
| `copulagan` | `CopulaGANSynthesizer` | `epochs`, `batch_size`, `pac`, `default_distribution` |

SDV is imported inside `synthesizer()` only: importing it costs ~6 s and 700 MiB.
"""

from __future__ import annotations

import dataclasses
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

    def options(self) -> dict[str, Any]:
        """Keyword arguments for the SDV class: every config key except `type`."""
        return {f.name: getattr(self.config, f.name) for f in dataclasses.fields(self.config)
                if f.name != "type"}

    def synthesizer(self, metadata: Any) -> Any:
        """An unfitted SDV synthesizer for `metadata`."""
        import sdv.single_table

        cls = getattr(sdv.single_table, self.sdv_class)
        return cls(metadata, **self.options())


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
class CTGAN(Generator):
    Config = CTGANConfig
    sdv_class = "CTGANSynthesizer"
    uses_torch = True

    def options(self) -> dict[str, Any]:
        return {**super().options(), "enable_gpu": False}


@dataclass(kw_only=True)
class TVAEConfig(GeneratorConfig):
    """A variational autoencoder for tables."""

    epochs: int = 300
    batch_size: int = 500

    def check(self, ctx) -> Problems:
        yield from _check_training(self.epochs, self.batch_size, None)


@GENERATORS.register("tvae")
class TVAE(Generator):
    Config = TVAEConfig
    sdv_class = "TVAESynthesizer"
    uses_torch = True

    def options(self) -> dict[str, Any]:
        return {**super().options(), "enable_gpu": False}


@dataclass(kw_only=True)
class CopulaGANConfig(CTGANConfig):
    """CTGAN on columns first mapped through Gaussian-copula marginals."""

    default_distribution: str = "beta"

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        yield from _check_distribution(self.default_distribution)


@GENERATORS.register("copulagan")
class CopulaGAN(Generator):
    Config = CopulaGANConfig
    sdv_class = "CopulaGANSynthesizer"
    uses_torch = True

    def options(self) -> dict[str, Any]:
        return {**super().options(), "enable_gpu": False}
