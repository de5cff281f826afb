"""Fit SDV synthesizers once, cache them, and sample from them reproducibly.

A fitted synthesizer is pickled to `data/<recipe>/.cache/synthetic/`, keyed by a hash of
everything that decides the fit: the rows, the metadata, the generator and constraint configs,
the fit seed and the SDV version. Changing only how many rows are wanted (a balance count,
`synthetic.rows`) re-samples the cached model without fitting again. The cache lies outside
every DVC output: pickles differ byte-wise between processes, and must not re-trigger stages.

Determinism: `random`, numpy and torch are seeded before `fit`; before every `sample` the
synthesizer is reset (`reset_sampling`) and given the step's seed, so a sample depends only on
the model and the seed, never on what was sampled before or on whether the model was loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from builder import artifacts
from builder.errors import DataError
from builder.synthetic.generators import Generator
from builder.synthetic.metadata import TABLE

#: Cached synthesizers kept besides the ones the current build used.
KEEP_CACHED = 8


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence SDV's warnings and progress bars around a call."""
    # tqdm resolves its output stream when a bar is made, so redirecting stderr hides SDV's bars.
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def seed_everything(seed: int, torch_too: bool) -> None:
    """Seed Python's, numpy's (and torch's) global generators before a fit."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if torch_too:
        import torch

        torch.manual_seed(seed)


def frame_digest(frame: pd.DataFrame) -> str:
    """sha256 of a frame's column names, dtypes and values."""
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(frame[c].dtype)] for c in frame.columns]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass
class FitRecord:
    """What the metrics say about one fitted model (no timings: metrics must be reproducible)."""

    rows: int
    canary_rows: int
    key: str


class Models:
    """The synthesizers of one build, fitted or loaded from the cache on first use."""

    def __init__(self, generator: Generator, constraints: list[Any], cache_dir: Path,
                 log: Callable[[str], None] = lambda message: None):
        self.generator = generator
        self.constraints = constraints
        self.cache_dir = cache_dir
        self.log = log
        self.records: dict[str, FitRecord] = {}
        self._fitted: dict[str, Any] = {}
        self._used: set[Path] = set()

    def key(self, frame: pd.DataFrame, metadata: Any, seed: int, drop: frozenset[str]) -> str:
        """The cache key of a fit."""
        import sdv

        spec = {
            "sdv": sdv.__version__,
            "generator": {"type": self.generator.type_name, **asdict(self.generator.config)},
            "metadata": metadata.to_dict(),
            "constraints": [asdict(c.config) for c in self.constraints],
            "drop": sorted(drop),
            "seed": seed,
        }
        text = json.dumps(spec, sort_keys=True, default=str) + frame_digest(frame)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def fit(self, name: str, frame: pd.DataFrame, metadata: Any, seed: int,
            drop: frozenset[str] = frozenset(), canary_rows: int = 0) -> Any:
        """The synthesizer `name` fitted on `frame` (from the cache when the key matches)."""
        key = self.key(frame, metadata, seed, drop)
        path = self.cache_dir / f"{self.generator.type_name}-{key}.pkl"
        self.records[name] = FitRecord(rows=len(frame) - canary_rows, canary_rows=canary_rows,
                                       key=key)
        synthesizer = self._load(path)
        if synthesizer is None:
            started = time.perf_counter()
            synthesizer = self._fit_new(name, frame, metadata, seed, drop)
            self.log(f"fitted {self.generator.type_name} '{name}' on {len(frame) - canary_rows} "
                     f"rows in {time.perf_counter() - started:.1f}s")
            self._save(synthesizer, path)
        else:
            self.log(f"reused the cached {self.generator.type_name} '{name}' ({path.name})")
        self._used.add(path)
        self._fitted[name] = synthesizer
        return synthesizer

    def _fit_new(self, name: str, frame: pd.DataFrame, metadata: Any, seed: int,
                 drop: frozenset[str]) -> Any:
        constraints = [c.sdv_constraint(drop) for c in self.constraints]
        constraints = [c for c in constraints if c is not None]
        with quiet():
            synthesizer = self.generator.synthesizer(metadata)
            if constraints:
                synthesizer.add_constraints(constraints)
            seed_everything(seed, self.generator.uses_torch)
            try:
                synthesizer.fit({TABLE: frame})
            except Exception as error:
                if type(error).__name__ in ("ConstraintNotMetError", "InvalidDataError",
                                            "ConstraintsNotMetError"):
                    raise DataError(
                        f"synthetic: SDV cannot fit the '{name}' model: "
                        f"{' '.join(str(error).split())} Check synthetic.constraints and "
                        "synthetic.columns against the train rows.") from error
                raise
        return synthesizer

    def _load(self, path: Path) -> Any | None:
        if not path.is_file():
            return None
        from sdv.utils import load_synthesizer

        try:
            with quiet():
                synthesizer = load_synthesizer(str(path))
        except Exception:  # a truncated or foreign pickle: fit again
            path.unlink(missing_ok=True)
            return None
        os.utime(path)
        return synthesizer

    def _save(self, synthesizer: Any, path: Path) -> None:
        with quiet(), artifacts.atomic_file(path) as tmp:
            synthesizer.save(str(tmp))

    def prune(self) -> None:
        """Drop cached synthesizers this build did not use, beyond the `KEEP_CACHED` newest."""
        if not self.cache_dir.is_dir():
            return
        others = [p for p in self.cache_dir.glob("*.pkl") if p not in self._used]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for path in others[KEEP_CACHED:]:
            path.unlink(missing_ok=True)


def sample(synthesizer: Any, rows: int, seed: int, conditions: dict[str, Any] | None = None,
           owner: str = "synthetic") -> pd.DataFrame:
    """`rows` rows from a fitted synthesizer, seeded; `conditions` fixes column values."""
    synthesizer.reset_sampling()
    # SDV's only per-call seed hook: without it every fresh sample uses one fixed internal seed.
    synthesizer._set_random_state(seed)
    with quiet():
        if not conditions:
            return synthesizer.sample(rows)[TABLE]
        from sdv.sampling import Condition

        shown = ", ".join(f"{k}={v!r}" for k, v in conditions.items())
        try:
            out = synthesizer.sample_from_conditions(
                [Condition(column_values=conditions, num_rows=rows)])[TABLE]
        except Exception as error:  # SDV raises ValueError or its own errors for bad conditions
            raise DataError(f"{owner}: SDV could not sample {rows} rows with {shown}: "
                            f"{' '.join(str(error).split())} A number outside the train rows' "
                            "range needs synthetic.generator.enforce_min_max_values: false; a "
                            "category the train rows lack cannot be sampled.") from error
    if len(out) < rows:
        raise DataError(f"{owner}: SDV's conditional sampling found {len(out)} of {rows} rows "
                        f"with {shown} (it rejects samples that miss the condition). Expected a "
                        "condition the model produces often enough; sampling: per_class fits a "
                        "model per class instead.")
    return out
