"""Balance strategies, one module each; importing this package registers them all
(`builder.balance.config.STRATEGIES`)."""

from builder.balance.strategies import (  # noqa: F401
    augment,
    keep,
    oversample,
    smote,
    synthetic,
    undersample,
)
