"""Fit SDV synthesizers once, cache them, and sample from them reproducibly.

A fitted model (SDV's synthesizer, or a `builder.synthetic.copula.ClassCopula`) is pickled to
`data/<recipe>/.cache/synthetic/`, keyed by a hash of everything that decides the fit: the rows,
the metadata, what fits it, the generator's options (with the epochs a per-class model trains
for, see `builder.synthetic.generators`), the constraint configs, the fit seed and the SDV
version. Changing only how many rows are wanted (a balance count,
`synthetic.rows`) re-samples the cached model without fitting again. The cache lies outside
every DVC output: pickles differ byte-wise between processes, and must not re-trigger stages.

Determinism: `random`, numpy and torch are seeded before `fit`; before every `sample` the
synthesizer is reset (`reset_sampling`) and given the step's seed, so a sample depends only on
the model and the seed, never on what was sampled before or on whether the model was loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from builder import artifacts
from builder.errors import DataError
from builder.synthetic.generators.base import Generator
from builder.synthetic.guard import condition_error, fit_errors, quiet, shown_conditions
from builder.synthetic.metadata import TABLE

#: Cached synthesizers kept besides the ones the current build used.
KEEP_CACHED = 8


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
    """What the metrics say about one fitted model (no timings: metrics must be reproducible).

    `engine` names what fitted it (`SDV <class>`, or `direct copula` for
    `builder.synthetic.copula`); `key` is the cache key (None: not cached); `epochs` the passes a
    neural model trained for (None for copulas)."""

    rows: int
    canary_rows: int
    engine: str
    key: str | None = None
    epochs: int | None = None

    def as_metrics(self) -> dict[str, Any]:
        """The record as metrics, without the fields that do not apply."""
        return {name: value for name, value in asdict(self).items() if value is not None}


class Models:
    """The synthesizers of one build, fitted or loaded from the cache on first use."""

    def __init__(self, generator: Generator, constraints: list[Any], cache_dir: Path,
                 log: Callable[[str], None] = lambda message: None,
                 table_rows: int | None = None):
        """`table_rows`: the train split's rows, which a per-class model's training budget
        follows (None: every model is fitted on the whole split)."""
        self.generator = generator
        self.constraints = constraints
        self.cache_dir = cache_dir
        self.log = log
        self.table_rows = table_rows
        self.records: dict[str, FitRecord] = {}
        self._used: set[Path] = set()

    def engine(self, direct: bool) -> str:
        """What fits a model: SDV's synthesizer class, or the direct copula."""
        from builder.synthetic.copula import ClassCopula

        return ClassCopula.engine if direct else f"SDV {self.generator.sdv_class}"

    def key(self, frame: pd.DataFrame, metadata: Any, seed: int, drop: frozenset[str],
            direct: bool = False) -> str:
        """The cache key of a fit."""
        import sdv

        from builder.synthetic.copula import VERSION

        spec = {
            "sdv": sdv.__version__,
            "engine": [self.engine(direct), VERSION if direct else None],
            "generator": {"type": self.generator.type_name,
                          **self.generator.options(len(frame), self.table_rows)},
            "metadata": metadata.to_dict(),
            "constraints": [asdict(c.config) for c in self.constraints],
            "drop": sorted(drop),
            "seed": seed,
        }
        text = json.dumps(spec, sort_keys=True, default=str) + frame_digest(frame)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def fit(self, name: str, frame: pd.DataFrame, metadata: Any, seed: int,
            drop: frozenset[str] = frozenset(), canary_rows: int = 0,
            direct: bool = False) -> Any:
        """The model `name` fitted on `frame` (from the cache when the key matches): SDV's
        synthesizer, or with `direct` a Gaussian copula fitted by `builder.synthetic.copula`."""
        key = self.key(frame, metadata, seed, drop, direct)
        path = self.cache_dir / f"{self.generator.type_name}-{key}.pkl"
        options = self.generator.options(len(frame), self.table_rows)
        self.records[name] = FitRecord(rows=len(frame) - canary_rows, canary_rows=canary_rows,
                                       engine=self.engine(direct), key=key,
                                       epochs=options.get("epochs"))
        synthesizer = self._load(path, direct)
        if synthesizer is None:
            started = time.perf_counter()
            synthesizer = self._fit_new(name, frame, metadata, seed, drop, direct)
            self.log(f"fitted {self.generator.type_name} '{name}' on {len(frame) - canary_rows} "
                     f"rows in {time.perf_counter() - started:.1f}s")
            self._save(synthesizer, path)
        else:
            self.log(f"reused the cached {self.generator.type_name} '{name}' ({path.name})")
        self._used.add(path)
        return synthesizer

    def _fit_new(self, name: str, frame: pd.DataFrame, metadata: Any, seed: int,
                 drop: frozenset[str], direct: bool) -> Any:
        constraints = sdv_constraints(self.constraints, drop)
        if direct:
            from builder.synthetic.copula import ClassCopula

            return ClassCopula(self.generator.config, constraints).fit(name, frame, metadata, seed)
        with quiet():
            synthesizer = self.generator.synthesizer(metadata, len(frame), self.table_rows)
            if constraints:
                synthesizer.add_constraints(constraints)
            seed_everything(seed, self.generator.uses_torch)
            with fit_errors(name):
                synthesizer.fit({TABLE: frame})
        return synthesizer

    def _load(self, path: Path, direct: bool) -> Any | None:
        if not path.is_file():
            return None
        from sdv.utils import load_synthesizer

        from builder.synthetic.copula import ClassCopula

        try:
            with quiet():
                synthesizer = ClassCopula.load(path) if direct else load_synthesizer(str(path))
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


def sdv_constraints(constraints: list[Any], drop: frozenset[str] = frozenset()) -> list[Any]:
    """SDV constraint objects for a table without the columns in `drop` (moot ones left out)."""
    made = [c.sdv_constraint(drop) for c in constraints]
    return [c for c in made if c is not None]


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

        try:
            out = synthesizer.sample_from_conditions(
                [Condition(column_values=conditions, num_rows=rows)])[TABLE]
        except Exception as error:  # SDV raises ValueError or its own errors for bad conditions
            raise condition_error(owner, rows, conditions, str(error)) from error
    if len(out) < rows:
        raise DataError(f"{owner}: SDV's conditional sampling found {len(out)} of {rows} rows "
                        f"with {shown_conditions(conditions)} (it rejects samples that miss the "
                        "condition). Expected a condition the model produces often enough; "
                        "sampling: per_class fits a model per class instead.")
    return out
