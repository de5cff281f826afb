"""`ctgan`: SDV's `CTGANSynthesizer`."""

from __future__ import annotations

from dataclasses import dataclass

from builder.synthetic.config import GENERATORS, GeneratorConfig, Problems
from builder.synthetic.generators.base import TorchGenerator, check_training


@dataclass(kw_only=True)
class CTGANConfig(GeneratorConfig):
    """A conditional GAN; slow to fit (its per-column mixture models dominate on small data)."""

    epochs: int = 300
    batch_size: int = 500
    pac: int = 10

    def check(self, ctx) -> Problems:
        yield from check_training(self.epochs, self.batch_size, self.pac)


@GENERATORS.register("ctgan")
class CTGAN(TorchGenerator):
    Config = CTGANConfig
    sdv_class = "CTGANSynthesizer"
