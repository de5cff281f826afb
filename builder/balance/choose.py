"""`balance.strategy: auto` by validated efficacy: cross-validate the candidate plans on the real
train rows, take the best, or a simpler one within `balance.select.tolerance`.

A plan the recipe names is obeyed; its cross-validated score is reported next to what `auto`
would have picked. When a class has too few train rows for `folds`-fold cross-validation (two per
fold), `auto` falls back to the rule-based planner (`builder.balance.planner.choose`) and the
report says why. A `folds` the recipe sets above the smallest class's train rows is a recipe
error naming the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from builder.balance import folds as folding
from builder.balance.candidates import Candidate, candidate, candidates, grown
from builder.balance.cache import ScoreCache
from builder.balance.crossval import Folds, Synthesize, cross_validate
from builder.balance.planner import ClassPlan
from builder.balance.strategies.base import strategy
from builder.errors import RecipeError
from builder.rows import ID

#: Fewest rows of a class per fold for cross-validation.
MIN_FOLD_ROWS = 2
RECIPE = "recipe"


@dataclass
class Selected:
    """The plans the stage applies and the selection's report for the metrics."""

    plans: list[ClassPlan]
    report: dict[str, Any]


def selectable(recipe: Any) -> bool:
    """Whether the recipe's plan is chosen or scored by cross-validation: tables and text
    (the efficacy model's inputs), not release mode (where every row is generated)."""
    return (recipe.synthetic.mode != "release"
            and recipe.task.type in ("tabular-classification", "text-classification"))


def recipe_candidate(plans: list[ClassPlan], counts: dict[str, int],
                     targets: dict[str, int]) -> Candidate:
    """The recipe's plan for these counts and targets (each class keeps its strategy, or the
    direction its target now asks for)."""
    strategies = {}
    for plan in plans:
        count, target = counts[plan.name], targets[plan.name]
        if target == count:
            strategies[plan.name] = "keep"
        elif target < count:
            strategies[plan.name] = "undersample"
        else:
            adds = strategy(plan.strategy).adds
            strategies[plan.name] = grown(plan.strategy if adds else "oversample", count)
    return Candidate(RECIPE, dict(targets), strategies)


def check_folds(config: Any, before: dict[str, int], file: str) -> str | None:
    """A `RecipeError` when the recipe's `folds` exceeds the smallest class's train rows; the
    reason for falling back when a class is too small to cross-validate; else None."""
    present = {c: n for c, n in before.items() if n > 0}
    name = min(present, key=lambda c: (present[c], c))
    smallest, folds = present[name], config.fold_count
    if config.folds is not None and folds > smallest:
        raise RecipeError(file, "balance.select.folds",
                          f"found {folds}, but class '{name}' has {smallest} train rows; expected "
                          f"at most {smallest} folds (each fold needs a row of every class).")
    needed = folds * MIN_FOLD_ROWS
    if smallest < needed:
        return (f"class '{name}' has {smallest} train rows, fewer than the {needed} that "
                f"{folds}-fold cross-validation needs ({MIN_FOLD_ROWS} per fold), so the "
                "rule-based planner chose")
    return None


def folds_of(train: pd.DataFrame, label: str, features: list[str], text: str | None,
             group: str | None, config: Any, seed: int) -> Folds:
    """The stratified sample of the train rows and its folds."""
    groups = train[group] if group is not None and group in train.columns else None
    keys = folding.row_keys(train[ID], groups, seed)
    labels = train[label].astype(str).to_numpy()
    chosen = folding.sample(labels, keys, config.max_rows, config.fold_count * MIN_FOLD_ROWS)
    rows = train.iloc[chosen].reset_index(drop=True)[[ID, *features, label]]
    numbers = folding.fold_numbers(labels[chosen], keys[chosen], config.fold_count,
                                   grouped=groups is not None)
    return Folds(rows, numbers, config.fold_count, features, label, text)


def pick(scores: dict[str, float], tolerance: float,
         spread: dict[str, float] | None = None) -> tuple[str, str]:
    """(best, chosen): the best mean score, and the simplest candidate (the earliest in
    `scores`) within `tolerance` of it, or within the best one's standard error over the folds
    (`spread`) when that is wider: the one-standard-error rule, since three folds cannot tell
    apart plans closer than that."""
    order = list(scores)
    valid = {n: s for n, s in scores.items() if not np.isnan(s)}
    best = max(valid, key=lambda n: (valid[n], -order.index(n)))
    margin = max(tolerance, (spread or {}).get(best, 0.0))
    return best, next(n for n in order if n in valid and valid[n] >= valid[best] - margin)


def standard_error(values: list[float]) -> float:
    """The standard error of the mean of fold scores (0 for fewer than two)."""
    found = [v for v in values if not np.isnan(v)]
    return float(np.std(found, ddof=1) / np.sqrt(len(found))) if len(found) > 1 else 0.0


@dataclass
class Inputs:
    """What selection needs from the augment stage."""

    train: pd.DataFrame  # the sample's real train rows (with `_id`)
    label: str
    features: list[str]
    text: str | None  # the text column of a text task
    group: str | None  # the split's group column
    before: dict[str, int]  # train rows per class (whole table)
    targets: dict[str, int]  # the recipe's target per class
    plans: list[ClassPlan]  # the rule-based (auto) or the recipe's (explicit) plans
    explicit: bool
    config: Any  # balance.select
    k_neighbors: int
    file: str  # the recipe file, for errors
    seed: Callable[..., int]
    synthesize: Synthesize | None  # None without a generator
    names: list[str]  # the candidates open to the recipe, simplest first
    generator: str | None = None  # the generator's settings, part of the cache key
    cache_dir: Path | None = None
    threads: int = 1  # folds scored at once (`engine.threads`)


def select(given: Inputs) -> Selected:
    """The plans to apply and the report (see the module docstring)."""
    from builder.balance.scores import score

    config, explicit = given.config, given.explicit
    base = {"metric": config.metric, "folds": config.fold_count, "tolerance": config.tolerance,
            "max_rows": config.max_rows, "group": given.group}
    fallback = check_folds(config, given.before, given.file)
    if fallback is not None:
        return Selected(given.plans, {**base, "fallback": fallback,
                                      "chosen": RECIPE if explicit else "rule-based",
                                      "chosen_by": RECIPE if explicit else "auto"})
    data = folds_of(given.train, given.label, given.features, given.text, given.group, config,
                    given.seed("select", "folds"))
    options = candidates(given.before, given.targets, given.names)
    names = [c.name for c in options]
    own = recipe_candidate(given.plans, given.before, {p.name: p.target for p in given.plans})
    same = next((c.name for c in options if c.key() == own.key()), None)
    if explicit and same is None:
        names.append(RECIPE)

    def make(name: str, counts: dict[str, int], fold_targets: dict[str, int]) -> Candidate:
        if name == RECIPE:
            return recipe_candidate(given.plans, counts, fold_targets)
        return candidate(name, counts, fold_targets)

    cache = ScoreCache(given.cache_dir, [digest(data), config.metric, given.k_neighbors,
                                        given.seed("select", "cache"), given.generator])
    scores = cross_validate(data, given.before, given.targets, names, make,
                            score(config.metric), given.k_neighbors, given.seed,
                            given.synthesize, cache, given.threads)
    means = {n: scores.mean(n) for n in names}
    spread = {n: standard_error(scores.folds[n]) for n in names}
    best, auto_pick = pick({n: m for n, m in means.items() if n != RECIPE}, config.tolerance,
                           spread)
    by_name = {c.name: c for c in options}
    report = {**base, "rows": len(data.rows),
              "candidates": {n: {"plan": by_name.get(n, own).strategies,
                                 "targets": by_name.get(n, own).targets,
                                 "fold_scores": scores.folds[n], "mean": round(means[n], 4),
                                 "standard_error": round(spread[n], 4)}
                             for n in names},
              "best": best, "auto_pick": auto_pick,
              "chosen": (same or RECIPE) if explicit else auto_pick,
              "chosen_by": RECIPE if explicit else "auto"}
    if explicit:
        return Selected(given.plans, report)
    return Selected(by_name[auto_pick].plans(given.before, reason(report, auto_pick), "auto"),
                    report)


def reason(report: dict[str, Any], chosen: str) -> str:
    """Why `auto` chose its plan, for the class table of the metrics and the card."""
    means = {n: c["mean"] for n, c in report["candidates"].items()}
    text = (f"cross-validated {report['metric']} {means[chosen]:.3f} over {report['folds']} "
            f"folds of {report['rows']} real train rows")
    best = report["best"]
    if best != chosen:
        error = report["candidates"][best].get("standard_error", 0.0)
        within = (f"within its standard error {error:.3f} over the folds"
                  if error > report["tolerance"] else f"within the tolerance "
                  f"{report['tolerance']:g}")
        return text + f"; {best} scored {means[best]:.3f}, {within}, and {chosen} is simpler"
    others = ", ".join(f"{n} {m:.3f}" for n, m in means.items() if n != chosen)
    return text + (f", above {others}" if others else "")


def digest(data: Folds) -> str:
    """A hash of the rows cross-validation sees and their folds."""
    import hashlib

    hashes = pd.util.hash_pandas_object(data.rows, index=False).to_numpy()
    combined = hashlib.sha256(hashes.tobytes())
    combined.update(np.asarray(data.folds, dtype=np.int64).tobytes())
    combined.update(repr(list(data.rows.columns)).encode())
    return combined.hexdigest()
