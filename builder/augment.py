"""The augment stage: balancing and synthetic rows, for the train split only.

Until balancing and synthesis land, it marks every row as real and copies its input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder import artifacts
from builder.columns import repeat_string
from builder.split import ARTIFACT as INPUT, SPLIT_COLUMN

if TYPE_CHECKING:
    from builder.stages import Context

ARTIFACT = "augmented.parquet"


def run(ctx: Context) -> dict[str, Any]:
    """The augment stage: `split.parquet` -> `augmented.parquet` with an `_origin` column."""
    df = artifacts.read_parquet(ctx.artifact(INPUT), "split")
    df["_origin"] = repeat_string("real", df.index)
    metrics = {
        "rows": len(df),
        "origins": {"real": len(df)},
        "rows_per_split": df[SPLIT_COLUMN].value_counts(sort=False).to_dict(),
    }
    artifacts.write_parquet(df, ctx.artifact(ARTIFACT))
    artifacts.write_json(metrics, ctx.metrics_path("augment"))
    return metrics
