"""`copulagan`: SDV's `CopulaGANSynthesizer`."""

from __future__ import annotations

from dataclasses import dataclass

from builder.synthetic.config import GENERATORS, Problems
from builder.synthetic.generators.base import TorchGenerator, check_distribution
from builder.synthetic.generators.ctgan import CTGANConfig


@dataclass(kw_only=True)
class CopulaGANConfig(CTGANConfig):
    """CTGAN on columns first mapped through Gaussian-copula marginals."""

    default_distribution: str = "beta"

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        yield from check_distribution(self.default_distribution)


@GENERATORS.register("copulagan")
class CopulaGAN(TorchGenerator):
    Config = CopulaGANConfig
    sdv_class = "CopulaGANSynthesizer"
