"""The Snorkel 0.10 side of `bench/label_models.py`; runs inside `.venv-snorkel`.

Fits `LabelModel(cardinality=K)` for 500 epochs (seed 123, as `bench/labeling.py` does) on each
task's label matrix, predicts with Snorkel's default tie policy (abstain) and prints one JSON
line: the labels of every row per task.

    python bench/label_models_snorkel.py MATRICES.npz '{"task": K, ...}'
"""

from __future__ import annotations

import json
import sys

import numpy as np
from snorkel.labeling.model import LabelModel


def main() -> None:
    matrices = np.load(sys.argv[1])
    classes = json.loads(sys.argv[2])
    labels = {}
    for name, k in classes.items():
        matrix = matrices[name].astype(np.int64)
        model = LabelModel(cardinality=k, verbose=False)
        model.fit(matrix, n_epochs=500, seed=123, log_freq=1000)
        labels[name] = model.predict(matrix, tie_break_policy="abstain").tolist()
    print(json.dumps(labels))


if __name__ == "__main__":
    main()
