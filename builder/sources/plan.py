"""The ingest plan: row-wise transform segments between the steps that see the whole table.

A step that needs the whole table (a `dedup` transform, feedback logs' `dedup_on`) is a
barrier: each part reports keys for it (`keys`), the driver turns every part's keys into keep
masks (`masks`), and the next segment starts by applying them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from builder.recipe.registry import TRANSFORMS

if TYPE_CHECKING:
    import pandas as pd

    from builder.context import Context
    from builder.sources.parts import PartResult

#: The name under which the sources' `dedup_on` step counts rows in and out.
SOURCES_DEDUP = "(sources dedup_on)"


@dataclass
class SourcesDedup:
    """Feedback logs' `dedup_on`: drop a log's rows whose values occur in the other sources."""

    logs: dict[str, Any]  # source name -> Source with `dedup_keys`
    names: list[str]

    def keys(self, frame: pd.DataFrame, source: str) -> dict[str, np.ndarray]:
        found = {}
        for name, log in self.logs.items():
            if source == name or source in log.against(self.names):
                found[name] = log.dedup_keys(frame)
        return found

    def masks(self, parts: list[PartResult]) -> dict[str, np.ndarray]:
        masks = {}
        for name, log in self.logs.items():
            against = set(log.against(self.names))
            seen = [p.keys[name] for p in parts if p.source in against and name in p.keys]
            others = np.concatenate(seen) if seen else np.zeros(0, np.uint64)
            for part in parts:
                if part.source == name:
                    masks[part.name] = ~np.isin(part.keys[name], others)
        return masks


@dataclass
class DedupStep:
    """A `dedup` transform: keys per part, one keep mask over the whole table."""

    name: str
    transform: Any

    def keys(self, frame: pd.DataFrame, source: str) -> np.ndarray:
        return self.transform.keys(frame)

    def masks(self, parts: list[PartResult]) -> dict[str, np.ndarray]:
        keys = [p.keys for p in parts]
        keep = self.transform.keep_mask(np.concatenate(keys) if keys else np.zeros(0, np.uint64))
        bounds = np.cumsum([0, *[len(k) for k in keys]])
        return {p.name: keep[bounds[i]:bounds[i + 1]] for i, p in enumerate(parts)}


@dataclass
class Plan:
    """Row-wise transform segments; `barriers[k]` runs between `segments[k]` and `k + 1`."""

    segments: list[list[tuple[str, Any]]]
    barriers: list[Any]


def make_plan(ctx: Context, sources: dict[str, Any]) -> Plan:
    segments: list[list[tuple[str, Any]]] = [[]]
    barriers: list[Any] = []
    logs = {name: source for name, source in sources.items()
            if getattr(source.config, "dedup_on", None)}
    if logs:
        barriers.append(SourcesDedup(logs, list(sources)))
        segments.append([(SOURCES_DEDUP, None)])
    for name, config in ctx.recipe.transforms.items():
        transform = TRANSFORMS.get(config.type)(name, config)
        if transform.rowwise:
            segments[-1].append((name, transform))
        else:
            barriers.append(DedupStep(name, transform))
            segments.append([(name, None)])  # the barrier's own rows in and out
    return Plan(segments, barriers)
