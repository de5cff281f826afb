"""Turn a `balance.target` into a row count per class, given the train split's counts.

| target | each class's count |
|---|---|
| `balanced` | the largest class's count (or `total` / number of classes) |
| `counts` | as listed; unlisted classes keep theirs |
| `ratios` | its share of `total`, or of the smallest total that keeps every class's rows |
| `min_per_class` | at least this many |
| `max_ratio` | at least the largest count / `max_ratio` (after `min_per_class`) |

`min_per_class` and `max_ratio` never lower a count. A class with no train row cannot be grown:
that is a `DataError` naming the key that asked for it.
"""

from __future__ import annotations

import math

from builder.balance.config import TargetConfig
from builder.errors import DataError


def describe(target: TargetConfig) -> str:
    """A short human rendering of a target, for metrics and the card."""
    parts = []
    if target.balanced:
        parts.append("balanced")
    if target.counts:
        parts.append("counts " + ", ".join(f"{c}: {n}" for c, n in target.counts.items()))
    if target.ratios:
        parts.append("ratios " + ", ".join(f"{c}: {r:g}" for c, r in target.ratios.items()))
    if target.min_per_class is not None:
        parts.append(f"min_per_class {target.min_per_class}")
    if target.max_ratio is not None:
        parts.append(f"max_ratio {target.max_ratio:g}")
    if target.total is not None:
        parts.append(f"total {target.total}")
    return "; ".join(parts)


def apportion(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Split `total` rows by `shares` (largest remainder; ties go to the earlier class)."""
    raw = {name: total * share for name, share in shares.items()}
    counts = {name: math.floor(value) for name, value in raw.items()}
    left = total - sum(counts.values())
    # sorted() is stable: among equal remainders the earlier class comes first.
    order = sorted(shares, key=lambda name: counts[name] - raw[name])
    for name in order[:left]:
        counts[name] += 1
    return counts


def resolve(target: TargetConfig, before: dict[str, int]) -> dict[str, int]:
    """The train count each class should end with. `before` lists every class, in task order."""
    if target.balanced:
        wanted = _balanced(target, before)
    elif target.counts:
        wanted = {name: target.counts.get(name, count) for name, count in before.items()}
    elif target.ratios:
        wanted = _ratios(target, before)
    else:
        wanted = _bounds(target, before)
    for name, count in wanted.items():
        if before[name] == 0 and count > 0:
            key = _key_for(target, name)
            raise DataError(
                f"{key}: class '{name}' has no row in the train split, so no sampler or model "
                f"can make the {count} rows the target asks for. Expected a class that occurs in "
                "the train split: check the labels, or give this class no target.")
    return wanted


def _key_for(target: TargetConfig, name: str) -> str:
    if target.counts and name in target.counts:
        return f"balance.target.counts.{name}"
    if target.ratios:
        return f"balance.target.ratios.{name}"
    kinds = target.kinds()
    return f"balance.target.{kinds[0]}" if kinds else "balance.target"


def _balanced(target: TargetConfig, before: dict[str, int]) -> dict[str, int]:
    if target.total is not None:
        return apportion(target.total, {name: 1 / len(before) for name in before})
    largest = max(before.values())
    return {name: largest for name in before}


def _ratios(target: TargetConfig, before: dict[str, int]) -> dict[str, int]:
    shares = {name: target.ratios[name] for name in before}
    if target.total is not None:
        return apportion(target.total, shares)
    # The smallest total at which no class has to lose rows.
    present = {name: count for name, count in before.items() if count > 0}
    total = max(math.ceil(count / shares[name] - 1e-9) for name, count in present.items())
    return {name: max(math.ceil(total * share - 1e-9), before[name])
            for name, share in shares.items()}


def _bounds(target: TargetConfig, before: dict[str, int]) -> dict[str, int]:
    wanted = dict(before)
    if target.min_per_class is not None:
        wanted = {name: max(count, target.min_per_class) for name, count in wanted.items()}
    if target.max_ratio is not None:
        floor = math.ceil(max(wanted.values()) / target.max_ratio - 1e-9)
        wanted = {name: max(count, floor) for name, count in wanted.items()}
    return wanted
