"""`tvae`: SDV's `TVAESynthesizer`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from builder.synthetic.config import GENERATORS, GeneratorConfig, Problems
from builder.synthetic.generators.base import TorchGenerator, check_training


@dataclass(kw_only=True)
class TVAEConfig(GeneratorConfig):
    """A variational autoencoder for tables."""

    epochs: int = 300
    batch_size: int = 500

    def check(self, ctx) -> Problems:
        yield from check_training(self.epochs, self.batch_size, None)


@GENERATORS.register("tvae")
class TVAE(TorchGenerator):
    Config = TVAEConfig
    sdv_class = "TVAESynthesizer"

    def steps_per_epoch(self, rows: int) -> int:
        """TVAE keeps the last partial batch."""
        return math.ceil(rows / self.config.batch_size)
