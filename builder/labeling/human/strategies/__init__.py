"""Review-queue strategies: which rows of `labeled/` go to human annotators next.

| strategy | candidates | order |
|---|---|---|
| `least_confident` | rows without a gold or human label | lowest confidence first (`label_confidence`, else `weak_confidence`, `model_confidence`, the deployed model's feedback score; no confidence at all counts as 0) |
| `lf_conflict` | rows where labeling functions voted for different classes (`lf_conflict`) | lowest `weak_confidence` first |
| `disagreement` | rows where the label model and the pseudo-label model disagree (`weak_label` != `model_label`) | most confident disagreements first (sum of both confidences): likely label errors |
| `audit` | every row without a human label, gold included | a stratified random sample over (label source, class), in proportion to their sizes and at least one per stratum while the budget allows |

One module per strategy, registered in `builder.labeling.human.config.QUEUE_STRATEGIES` under
its `--strategy` name; importing this package registers them all.
"""

from builder.labeling.human.strategies import (  # noqa: F401
    audit,
    disagreement,
    least_confident,
    lf_conflict,
)
from builder.labeling.human.strategies.base import Strategy  # noqa: F401
