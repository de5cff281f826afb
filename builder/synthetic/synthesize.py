"""Make synthetic rows for a list of requests from SDV models fitted on the real train rows.

A request asks for `rows` rows of one class (a balance gap, a share of `synthetic.rows`, a
release split) or for a scenario's conditions. With `sampling: per_class` (the default) one
model is fitted per class that is asked for, on that class's rows without the label, and sampled
without conditions: a 3% class gets its rows at full speed, where SDV's conditional sampling on
one joint model rejects samples until enough of the class turn up (and for GANs and VAEs may find
none). A per-class Gaussian copula is fitted and sampled by `builder.synthetic.copula` (the same
model without SDV's fixed per-model costs) unless the table needs SDV's synthesizer (PII columns
to fake, ids...; the metrics say why, `copula_fallback`). With `sampling: joint` one model is
fitted on the whole train split and classes are sampled with `sample_from_conditions`.

Only real train rows are ever fitted on; evaluation splits stay unseen (they are the privacy
baseline and the efficacy test). Canary rows are planted in the PII columns of every model's
training rows, and their markers must not appear in any output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from builder.columns import column_kind, conform, require_columns
from builder.errors import DataError
from builder.synthetic import copula
from builder.synthetic import metadata as meta
from builder.synthetic import privacy
from builder.synthetic.config import CONSTRAINTS, GENERATORS, SyntheticConfig
from builder.synthetic.models import Models, sample

#: Rounds of re-sampling that replace generated rows equal to real rows (release mode).
COPY_ROUNDS = 5


@dataclass(frozen=True)
class Request:
    """`rows` synthetic rows for one purpose (balance, rows, release, scenario)."""

    purpose: str
    name: str
    klass: str | None
    rows: int
    split: str = "train"
    conditions: dict[str, Any] = field(default_factory=dict)


@dataclass
class Synthesis:
    """Generated rows (features and label) with the request behind each, and the metrics."""

    rows: pd.DataFrame
    requests: pd.DataFrame  # purpose, name, split per row
    metrics: dict[str, Any]
    pii_columns: list[str]
    dropped: list[str]


class Synthesizer:
    """Fits the models a set of requests needs and samples them."""

    def __init__(self, config: SyntheticConfig, train: pd.DataFrame, label: str,
                 metadata: Any, cache_dir: Path, seed_for: Callable[..., int],
                 log: Callable[[str], None] = lambda message: None):
        self.config = config
        self.label = label
        self.seed_for = seed_for
        self.generator_config = config.generator_config
        generator = GENERATORS.get(self.generator_config.type)(self.generator_config)
        self.constraints = [CONSTRAINTS.get(c.type)(c) for c in config.constraints.values()]
        self.models = Models(generator, self.constraints, cache_dir, log, table_rows=len(train))
        self.pii = meta.pii_columns(metadata)
        self.dropped = self.pii if config.pii_action == "drop" else []
        self.metadata = meta.without(metadata, self.dropped) if self.dropped else metadata
        self.class_metadata = meta.without(self.metadata, [label])  # of a per-class model
        self.train = meta.plain(train.drop(columns=self.dropped))
        self.markers: dict[str, list] = {}
        kept_pii = [c for c in self.pii if c not in self.dropped]
        if kept_pii and config.canaries:
            self.markers = privacy.canary_markers({c: self.train[c] for c in kept_pii},
                                                  config.canaries, seed_for("canary"))
        self._class_models: dict[str, Any] = {}
        self._joint: Any = None
        for name, constraint in config.constraints.items():
            require_columns(self.train, constraint.column_names(),
                            f"synthetic.constraints.{name}")
        self.class_copulas = (self.generator_config.type == "gaussian_copula"
                              and config.sampling == "per_class")
        self.copula_fallback = self.copula_blocker([])

    def copula_blocker(self, requests: list[Request]) -> str | None:
        """Why the per-class Gaussian copulas that `requests` need are fitted by SDV's
        synthesizer rather than `builder.synthetic.copula` (None: they are not, or the models
        are not per-class Gaussian copulas)."""
        if not self.class_copulas:
            return None
        constrained = {c for config in self.config.constraints.values()
                       for c in config.column_names()}
        # A class's model has no label column: its rows all share the class.
        conditions = [{c: v for c, v in r.conditions.items() if c != self.label}
                      for r in requests if r.conditions]
        return copula.blocker(self.class_metadata, self.train, constrained, conditions)

    @property
    def direct_copula(self) -> bool:
        """Whether per-class models are `builder.synthetic.copula.ClassCopula`s."""
        return self.class_copulas and self.copula_fallback is None

    def _with_canaries(self, frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, int]:
        if not self.markers:
            return frame, 0
        planted = privacy.plant_canaries(frame, self.markers, self.seed_for("canary", name))
        return planted, len(planted) - len(frame)

    def model_for(self, klass: str | None) -> Any:
        """The fitted model that makes rows of `klass` (the joint model when sampling: joint)."""
        if self.config.sampling == "joint":
            if self._joint is None:
                frame, canaries = self._with_canaries(self.train, "joint")
                self._joint = self.models.fit("joint", frame, self.metadata,
                                              self.seed_for("fit", "joint"), canary_rows=canaries)
            return self._joint
        if klass not in self._class_models:
            rows = self.train[self.train[self.label] == klass].drop(columns=[self.label])
            frame, canaries = self._with_canaries(rows.reset_index(drop=True), klass)
            self._class_models[klass] = self.models.fit(
                klass, frame, self.class_metadata, self.seed_for("fit", klass),
                drop=frozenset([self.label]), canary_rows=canaries, direct=self.direct_copula)
        return self._class_models[klass]

    def sample(self, request: Request, seed: int) -> pd.DataFrame:
        """Rows for one request, with the label column filled in."""
        owner = (f"synthetic.scenarios.{request.name}" if request.purpose == "scenario"
                 else f"synthetic ({request.purpose} rows of class '{request.klass}')")
        if request.conditions:
            require_columns(self.train, list(request.conditions), f"{owner}.conditions")
        model = self.model_for(request.klass)
        conditions = dict(request.conditions)
        if self.config.sampling == "joint":
            if request.klass is not None:
                conditions[self.label] = request.klass
            return sample(model, request.rows, seed, conditions, owner)
        conditions.pop(self.label, None)
        if isinstance(model, copula.ClassCopula):
            out = model.sample(request.rows, seed, conditions, owner)
        else:
            out = sample(model, request.rows, seed, conditions, owner)
        out[self.label] = request.klass
        return out

    def run(self, requests: list[Request], real_rows: pd.DataFrame) -> Synthesis:
        """Sample every request; in release mode, replace rows that equal a real row."""
        self.copula_fallback = self.copula_blocker(requests)
        frames, tags = [], []
        removed = 0
        real_hashes = self._real_hashes(real_rows) if self.config.mode == "release" else None
        for request in requests:
            seed = self.seed_for("sample", request.purpose, request.name, request.split)
            rows = self.sample(request, seed)
            if real_hashes is not None:
                rows, dropped_copies = self._without_copies(request, rows, real_hashes)
                removed += dropped_copies
            frames.append(rows)
            tags.append(pd.DataFrame({"purpose": request.purpose, "name": request.name,
                                      "split": request.split}, index=range(len(rows))))
        columns = list(self.train.columns)
        generated = (conform(pd.concat(frames, ignore_index=True)[columns], self.train)
                     if frames else self.train.iloc[:0])  # SDV returns some numbers as objects
        hits = privacy.canary_hits(generated, self.markers)
        if hits:
            found = ", ".join(f"'{c}' ({n} rows)" for c, n in hits.items())
            raise DataError(
                f"synthetic: privacy canary failed: marker values planted in the PII columns "
                f"{', '.join(self.markers)} of the training rows appear in generated rows, in "
                f"{found}. The generator reproduces PII: declare such columns in synthetic.columns "
                "with a PII sdtype (or pii: true), or use pii: drop in release mode.")
        metrics = {
            "models": {name: r.as_metrics() for name, r in self.models.records.items()},
            "pii_columns": self.pii,
            "pii_action": self.config.pii_action if self.pii else None,
            "canary": {"markers_per_column": self.config.canaries if self.markers else 0,
                       "columns": sorted(self.markers), "found": 0},
        }
        if self.config.mode == "release":
            metrics["real_copies_replaced"] = removed
        if self.copula_fallback:
            metrics["copula_fallback"] = self.copula_fallback
        self.models.prune()
        tag_frame = pd.concat(tags, ignore_index=True) if tags else pd.DataFrame(
            columns=["purpose", "name", "split"])
        return Synthesis(generated, tag_frame, metrics, self.pii, self.dropped)

    def _copy_columns(self) -> list[str]:
        """The columns two rows must share to be copies: the generated ones, PII aside."""
        return [c for c in self.train.columns if c not in self.pii]

    def _real_hashes(self, real_rows: pd.DataFrame) -> tuple[np.ndarray, dict[str, str]]:
        """Hashes of the real rows over `_copy_columns()`, and the column kinds they used."""
        columns = self._copy_columns()
        kinds = {c: column_kind(real_rows[c]) for c in columns}
        return privacy.row_hashes(real_rows, columns, kinds), kinds

    def _without_copies(self, request: Request, rows: pd.DataFrame,
                        real_hashes: tuple[np.ndarray, dict[str, str]]) -> tuple[pd.DataFrame, int]:
        real, kinds = real_hashes
        columns = self._copy_columns()
        removed = 0
        for attempt in range(1, COPY_ROUNDS + 1):
            copies = np.isin(privacy.row_hashes(rows, columns, kinds), real)
            if not copies.any():
                return rows, removed
            removed += int(copies.sum())
            kept = rows[~copies]
            again = Request(request.purpose, request.name, request.klass, int(copies.sum()),
                            request.split, request.conditions)
            seed = self.seed_for("sample", request.purpose, request.name, request.split,
                                 f"again {attempt}")
            rows = pd.concat([kept, self.sample(again, seed)], ignore_index=True)
        raise DataError(
            f"synthetic: release mode keeps no real row, but after {COPY_ROUNDS} rounds the "
            f"generator still reproduces real rows for '{request.name}' ({request.split}). The "
            "table may have too few distinct rows to release a synthetic copy of it.")
