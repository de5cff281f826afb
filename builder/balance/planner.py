"""Pick a strategy per class and say why: the `auto` planner and the checks on chosen strategies.

`auto` decides, for each class, in this order:

1. the class is at its target: `keep`;
2. the target is below its count: `undersample` (the only way down);
3. the task has free text, which cannot be interpolated or modelled: `oversample`;
4. the class has fewer rows than SMOTE needs (`k_neighbors` + 1): `oversample`;
5. a generator is configured, the class has at least `MIN_MODEL_ROWS` rows, and the target is
   more than `SYNTHETIC_GROWTH` times its count: `synthetic` (SMOTE would stack many new rows on
   the segments between the same few neighbours);
6. otherwise `smote` (SMOTE, SMOTENC or SMOTEN by the column kinds).

A strategy the recipe names for a class is checked against its target and its rows by the
strategy itself (`Strategy.reason`, `builder.balance.strategies`); a strategy that cannot reach the
target is a `DataError` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from builder.balance.config import AUTO, RELEASE_STRATEGY
from builder.balance.strategies.base import TableProfile
from builder.balance.strategies.base import strategy as get_strategy
from builder.balance.strategies.synthetic import MIN_MODEL_ROWS

if TYPE_CHECKING:
    import pandas as pd

#: `auto` prefers the generator over SMOTE above this growth (target / rows).
SYNTHETIC_GROWTH = 2.0


@dataclass(frozen=True)
class ClassPlan:
    """How one class goes from `before` to `target` rows, and why."""

    name: str
    before: int
    target: int
    strategy: str
    reason: str
    chosen_by: str  # "auto" or "recipe"

    @property
    def change(self) -> int:
        return self.target - self.before


def plan_classes(before: dict[str, int], targets: dict[str, int], requested: dict[str, str],
                 keys: dict[str, str], profile: TableProfile) -> list[ClassPlan]:
    """A plan for every class. `requested` maps a class to its recipe strategy (or `auto`) and
    `keys` to the key path that set it, for messages."""
    plans = []
    for name, count in before.items():
        target = targets[name]
        requested_name = requested.get(name, AUTO)
        if requested_name == AUTO:
            chosen, reason = choose(count, target, profile)
            plans.append(ClassPlan(name, count, target, chosen, reason, AUTO))
        else:
            key = keys.get(name, "balance.strategy")
            where = f"{key}: class '{name}' has {count} train rows and a target of {target}"
            reason = get_strategy(requested_name).reason(where, count, target, profile)
            plans.append(ClassPlan(name, count, target, requested_name, reason, "recipe"))
    return plans


def choose(count: int, target: int, profile: TableProfile) -> tuple[str, str]:
    """The `auto` strategy for a class with `count` rows and a target, and the reason."""
    if target == count:
        return "keep", f"already at its target of {target} rows"
    if target < count:
        return "undersample", f"target {target} is below its {count} rows: random rows are left out"
    growth = target / count
    needed = profile.k_neighbors + 1
    if profile.text_column:
        return "oversample", (f"free text (column '{profile.text_column}') cannot be "
                              "interpolated or modelled, so rows are duplicated")
    if count < needed:
        return "oversample", (f"only {count} rows, fewer than the {needed} SMOTE needs "
                              f"(k_neighbors {profile.k_neighbors} + 1), so rows are duplicated")
    if profile.generator and count >= MIN_MODEL_ROWS and growth > SYNTHETIC_GROWTH:
        return "synthetic", (f"needs {growth:.1f}x its {count} rows; SMOTE would stack them "
                             f"between the same few neighbours, so a {profile.generator} model of "
                             "the class generates them")
    variant = profile.smote_variant
    why = "no generator is configured" if not profile.generator else (
        f"growth {growth:.1f}x is within {SYNTHETIC_GROWTH:g}x")
    return "smote", (f"{variant} interpolates between each row and its {profile.k_neighbors} "
                     f"nearest same-class rows ({profile.numeric} numeric, {profile.categorical} "
                     f"categorical columns); {why}")


def apply_global(strategy: str, before: dict[str, int], targets: dict[str, int]) -> dict[str, str]:
    """A single recipe strategy for every class: it applies where it points the right way, and
    classes above their target are under-sampled, classes at it kept."""
    adds = strategy != AUTO and get_strategy(strategy).adds
    return {name: strategy if not adds or targets[name] > count else AUTO
            for name, count in before.items()}


def plan_train(recipe: Any, before: dict[str, int],
               profile: TableProfile) -> list[ClassPlan] | None:
    """The plan for the train split's classes (`before`: their counts over the whole table), or
    None without a balance target. Release mode makes every class's rows with the generator."""
    from builder.balance.targets import resolve

    balance, release = recipe.balance, recipe.synthetic.mode == "release"
    target = balance.resolved_target
    if target is None:
        return None
    targets = resolve(target, before)
    if release:
        requested = {c: RELEASE_STRATEGY for c in before}
    elif isinstance(balance.strategy, str):
        requested = apply_global(balance.strategy, before, targets)
    else:
        requested = {c: balance.strategy_for(c) for c in before}
    keys = {c: balance.strategy_key(c) for c in before}
    plans = plan_classes(before, targets, requested, keys, profile)
    if release:
        plans = [ClassPlan(p.name, p.before, p.target, RELEASE_STRATEGY,
                           "release mode: every row comes from the generator", "recipe")
                 for p in plans]
    return plans


def profile_table(recipe: Any, train: pd.DataFrame, features: list[str]) -> TableProfile:
    """The planner's view of the sample's train rows: column kinds, free text, generator."""
    from builder.columns import column_kind

    task = recipe.task
    columns = [c for c in features if c != task.text]
    kinds = {c: column_kind(train[c]) for c in columns}
    numbers = [c for c, kind in kinds.items() if kind != "categorical"]
    generator = recipe.synthetic.generator_config
    return TableProfile(numeric=len(numbers), categorical=len(kinds) - len(numbers),
                        missing_numbers=bool(numbers) and bool(train[numbers].isna().any().any()),
                        text_column=task.text if task.type == "text-classification" else None,
                        generator=generator.type if generator else None,
                        k_neighbors=recipe.balance.k_neighbors)
