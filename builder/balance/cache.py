"""Fold scores of balance candidates, kept between builds in `data/<recipe>/.cache/balance/`.

A score is a function of the cross-validation rows and folds, the candidate's plan for the fold
(strategies and targets), the metric, the seeds, `k_neighbors` and the generator; the key hashes
all of them, so a rebuild that changes none of them (a gate, `synthetic.rows`, an explicit
strategy) reads the scores instead of fitting again. Like the synthetic model cache, it is not a
DVC output: removing it only costs time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

#: Part of every key: raise it when what a score means changes.
VERSION = 1


class ScoreCache:
    """Scores by key under `folder` (None: nothing is kept)."""

    def __init__(self, folder: Path | None, context: list[Any]):
        """`context`: what every key of this run shares (rows digest, metric, seeds...)."""
        self.folder = folder
        self.context = json.dumps([VERSION, *context], sort_keys=True, default=str)

    def key(self, *parts: Any) -> str:
        text = json.dumps([self.context, *parts], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> float | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.json"
        try:
            return float(json.loads(path.read_text())["score"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, score: float) -> None:
        if self.folder is None:
            return
        from builder.artifacts import write_json

        self.folder.mkdir(parents=True, exist_ok=True)
        write_json({"score": score}, self.folder / f"{key}.json")
