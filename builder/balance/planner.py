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

A strategy the recipe names for a class is checked against its target and its rows; a strategy
that cannot reach the target is a `DataError` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import DataError

#: Fewest rows of a class a per-class generator is fitted on.
MIN_MODEL_ROWS = 20
#: `auto` prefers the generator over SMOTE above this growth (target / rows).
SYNTHETIC_GROWTH = 2.0


@dataclass(frozen=True)
class TableProfile:
    """What the planner knows about the train table."""

    numeric: int
    categorical: int
    text_column: str | None = None
    generator: str | None = None
    k_neighbors: int = 5
    missing_numbers: bool = False

    @property
    def smote_variant(self) -> str:
        """The SMOTE variant for this table (missing numbers count as a mix: the samplers encode
        their missingness as a categorical flag)."""
        return smote_variant(self.numeric > 0, self.categorical > 0 or self.missing_numbers)


def smote_variant(numeric: bool, categorical: bool) -> str:
    """SMOTE for numeric columns, SMOTEN for categorical ones, SMOTENC for a mix."""
    if numeric and categorical:
        return "SMOTENC"
    return "SMOTE" if numeric else "SMOTEN"


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
        strategy = requested.get(name, "auto")
        if strategy == "auto":
            chosen, reason = choose(count, target, profile)
            plans.append(ClassPlan(name, count, target, chosen, reason, "auto"))
        else:
            key = keys.get(name, "balance.strategy")
            reason = check_requested(name, count, target, strategy, key, profile)
            plans.append(ClassPlan(name, count, target, strategy, reason, "recipe"))
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


def check_requested(name: str, count: int, target: int, strategy: str, key: str,
                    profile: TableProfile) -> str:
    """The reason for a strategy the recipe chose; a `DataError` if it cannot reach the target."""
    where = f"{key}: class '{name}' has {count} train rows and a target of {target}"
    if strategy == "keep":
        if target != count:
            raise DataError(f"{where}, but 'keep' leaves it at {count}. Expected a strategy that "
                            f"{'adds' if target > count else 'removes'} rows, or auto.")
        return "kept as the recipe asks"
    if strategy == "undersample":
        if target > count:
            raise DataError(f"{where}, but 'undersample' can only remove rows. Expected "
                            "oversample, smote, synthetic or auto.")
        return f"the recipe asks for random under-sampling to {target} rows"
    if target < count:
        raise DataError(f"{where}, but '{strategy}' can only add rows. Expected undersample or "
                        "auto.")
    if strategy == "smote" and count < 2:
        raise DataError(f"{where}, but SMOTE interpolates between two rows of a class and there "
                        f"{'is' if count == 1 else 'are'} {count}. Expected oversample.")
    if strategy == "synthetic" and count < MIN_MODEL_ROWS:
        raise DataError(f"{where}, but a generator needs at least {MIN_MODEL_ROWS} rows of a class "
                        "to learn from. Expected smote or oversample for this class.")
    if strategy == "smote":
        return f"the recipe asks for {profile.smote_variant}"
    return f"the recipe asks for {strategy}"


def apply_global(strategy: str, before: dict[str, int], targets: dict[str, int]) -> dict[str, str]:
    """A single recipe strategy for every class: it applies where it points the right way, and
    classes above their target are under-sampled, classes at it kept."""
    result = {}
    for name, count in before.items():
        target = targets[name]
        if strategy in ("auto", "keep", "undersample"):
            result[name] = strategy
        elif target > count:
            result[name] = strategy
        else:
            result[name] = "auto"
    return result
