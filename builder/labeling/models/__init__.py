"""Label models: turn a label matrix (rows x functions, -1 = abstain) into class probabilities.

Every model works on the distinct vote patterns of the matrix and their counts, not on rows:
a million rows of ten functions hold a few hundred patterns, so fitting costs almost nothing
and predicting is one gather. Rows without a vote get no probabilities (NaN) and label -1.

One module per model, registered in `builder.labeling.config.LABEL_MODELS` under its
`labeling.model.type` name; importing this package registers them all. `make_model` builds
the one a recipe names.
"""

from builder.labeling.models import anchored, auto, dawid_skene, majority, weighted  # noqa: F401
from builder.labeling.models.base import (  # noqa: F401 (the package's interface)
    LabelModel,
    Patterns,
    break_ties,
    make_model,
    vote_counts,
)
from builder.labeling.models.anchored import AnchoredDawidSkeneModel  # noqa: F401
from builder.labeling.models.auto import AutoModel  # noqa: F401
from builder.labeling.models.dawid_skene import DawidSkeneModel  # noqa: F401
from builder.labeling.models.majority import MajorityModel  # noqa: F401
from builder.labeling.models.weighted import WeightedModel  # noqa: F401
