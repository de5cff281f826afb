"""`gaussian_copula`: SDV's `GaussianCopulaSynthesizer`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.synthetic.config import GENERATORS, GeneratorConfig, Problems
from builder.synthetic.generators.base import Generator, check_distribution
from builder.synthetic.marginals import EMPIRICAL


@dataclass(kw_only=True)
class GaussianCopulaConfig(GeneratorConfig):
    """A Gaussian copula over per-column marginal distributions (fast, deterministic fit).

    `default_distribution: empirical` keeps each column's real distribution (ranks in, empirical
    quantiles out: `builder.synthetic.marginals`). The marginals default to `norm`, not SDV's
    `beta`: beta's maximum-likelihood fit can diverge
    (on mlc_churn's `total_eve_minutes` it returned a = 3.9e6, and every sampled value was the
    same), while a normal fit is closed-form; values stay within the real range either way.
    """

    default_distribution: str = "norm"

    def check(self, ctx) -> Problems:
        yield from check_distribution(self.default_distribution, extra=(EMPIRICAL,))


@GENERATORS.register("gaussian_copula")
class GaussianCopula(Generator):
    """`empirical` marginals are the direct copula's (`builder.synthetic.marginals`); SDV's
    synthesizer, which a table with PII or ids goes through, has none and gets `gaussian_kde`,
    its own non-parametric marginal."""

    Config = GaussianCopulaConfig
    sdv_class = "GaussianCopulaSynthesizer"

    def options(self, rows: int, table_rows: int | None = None) -> dict[str, Any]:
        options = super().options(rows, table_rows)
        if options.get("default_distribution") == EMPIRICAL:
            options["default_distribution"] = "gaussian_kde"
        return options
