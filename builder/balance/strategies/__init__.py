"""Balance strategies, one module each; importing this package registers them all
(`builder.balance.config.STRATEGIES`)."""

from builder.balance.strategies import keep, oversample, smote, synthetic, undersample  # noqa: F401
