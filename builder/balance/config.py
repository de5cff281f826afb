"""The `balance` section of a recipe: a class distribution for the train split and how to reach it.

```yaml
balance:
  target: balanced                      # or one of the mappings below
  # target: {counts: {bad: 2000}}       # exact rows for the listed classes; others keep theirs
  # target: {ratios: {good: 0.6, bad: 0.4}, total: 4000}
  # target: {min_per_class: 500, max_ratio: 2}
  strategy: auto                        # or one for all, or {bad: smote, good: undersample}
```

The strategies are the classes registered in `STRATEGIES` (`builder.balance.strategies`), plus
`auto`, which lets the planner pick one per class and write down why. Nothing here reads data:
every check below runs in `builder validate`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from builder.errors import did_you_mean, one_of
from builder.balance.augment_config import AugmentConfig
from builder.recipe.registry import Registry

if TYPE_CHECKING:
    from builder.recipe.schema import CheckContext

Problems = Iterator[tuple[str, str]]

#: Balance strategies by recipe name (`builder.balance.strategies`, one module each).
STRATEGIES = Registry("balance strategy", "builder.balance.strategies")
#: The recipe value that lets the planner pick a strategy per class.
AUTO = "auto"
#: The strategy release mode gives every class: every row comes from the generator.
RELEASE_STRATEGY = "synthetic"


def strategy_names() -> list[str]:
    """The values `balance.strategy` takes: `auto` and every registered strategy."""
    return [AUTO, *STRATEGIES.names()]


@dataclass(kw_only=True)
class TargetConfig:
    """One way of saying how many train rows each class should have.

    `balanced`, `counts` and `ratios` fix every class's count; `min_per_class` and `max_ratio`
    only raise small classes (they may be combined). `total` sizes `balanced` and `ratios`; without
    it no class loses rows (the smallest total that keeps every class at least at its count).
    """

    balanced: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    min_per_class: int | None = None
    max_ratio: float | None = None
    total: int | None = None

    def kinds(self) -> list[str]:
        """The target kinds this mapping sets, in a fixed order."""
        found = [("balanced", self.balanced), ("counts", bool(self.counts)),
                 ("ratios", bool(self.ratios)), ("min_per_class", self.min_per_class is not None),
                 ("max_ratio", self.max_ratio is not None)]
        return [name for name, present in found if present]

    def check(self, ctx: CheckContext) -> Problems:
        classes = ctx.recipe.task.classes
        kinds = self.kinds()
        exact = [k for k in kinds if k in ("balanced", "counts", "ratios")]
        bounds = [k for k in kinds if k in ("min_per_class", "max_ratio")]
        if len(exact) > 1:
            yield exact[1], (f"cannot be combined with {exact[0]}; expected one of balanced, "
                             "counts or ratios.")
        if exact and bounds:
            yield bounds[0], (f"cannot be combined with {exact[0]}: balanced, counts and ratios "
                              "give the counts themselves, min_per_class and max_ratio only raise "
                              "small classes; expected one kind.")
        yield from _class_names(self.counts, classes, "counts")
        yield from _class_names(self.ratios, classes, "ratios")
        for name, count in self.counts.items():
            if count < 1:
                yield f"counts.{name}", f"found {count}, expected a positive number of rows."
        if self.ratios:
            yield from self._check_ratios(classes)
        if self.min_per_class is not None and self.min_per_class < 1:
            yield "min_per_class", (f"found {self.min_per_class}, expected a positive number "
                                    "of rows.")
        if self.max_ratio is not None and self.max_ratio < 1:
            yield "max_ratio", (f"found {self.max_ratio:g}, expected at least 1 (the largest "
                                "class's count over the smallest's).")
        if self.total is not None:
            if not (self.balanced or self.ratios):
                yield "total", "sizes balanced or ratios targets only; expected one of them."
            elif self.total < len(classes):
                yield "total", (f"found {self.total}, expected at least one row per class "
                                f"({len(classes)}).")

    def _check_ratios(self, classes: list[str]) -> Problems:
        for name, ratio in self.ratios.items():
            if not 0 < ratio < 1:
                yield f"ratios.{name}", f"found {ratio:g}, expected a share between 0 and 1."
        missing = [c for c in classes if c not in self.ratios]
        if missing:
            yield "ratios", (f"has no share for {one_of(missing)}; expected a share for every "
                             "class of task.classes.")
        total = sum(self.ratios.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            yield "ratios", f"found shares summing to {total:g}, expected 1."
        if self.total is not None and not missing:
            for name, ratio in self.ratios.items():
                if self.total * ratio < 0.5:
                    yield f"ratios.{name}", (f"gives class '{name}' {self.total * ratio:.2f} of "
                                             f"{self.total} rows; expected at least one row.")


def _class_names(mapping: dict, classes: list[str], key: str) -> Problems:
    for name in mapping:
        if name not in classes:
            yield f"{key}.{name}", (f"is not a class; expected one of task.classes "
                                    f"({one_of(classes)}).{did_you_mean(name, classes)}")


#: `balance.select.folds` when the recipe sets none.
DEFAULT_FOLDS = 3


@dataclass(kw_only=True)
class SelectConfig:
    """How `strategy: auto` chooses a plan: cross-validated efficacy on folds of the real train
    rows (`builder.balance.choose`)."""

    metric: str = "balanced_accuracy"
    tolerance: float = 0.005
    folds: int | None = None
    max_rows: int = 10_000

    @property
    def fold_count(self) -> int:
        """The folds used (`folds`, or `DEFAULT_FOLDS`)."""
        return DEFAULT_FOLDS if self.folds is None else self.folds

    def check(self, ctx: CheckContext) -> Problems:
        from builder.balance.scores import SCORES

        names = SCORES.names()
        if self.metric not in names:
            yield "metric", (f"found '{self.metric}', expected one of {one_of(names)}."
                             + did_you_mean(self.metric, names))
        if self.folds is not None and self.folds < 2:
            yield "folds", f"found {self.folds}, expected at least 2 folds."
        if not 0 <= self.tolerance < 1:
            yield "tolerance", f"found {self.tolerance:g}, expected a score difference in [0, 1)."
        if self.max_rows < 100:
            yield "max_rows", f"found {self.max_rows}, expected at least 100 rows."


@dataclass(kw_only=True)
class BalanceConfig:
    """The class distribution wanted in the train split and the strategy per class."""

    target: Literal["balanced"] | TargetConfig | None = None
    strategy: str | dict[str, str] = "auto"
    k_neighbors: int = 5
    #: The `augment` strategy's seeded image augmentations.
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    #: How `strategy: auto` chooses (and an explicit plan is scored): `builder.balance.choose`.
    select: SelectConfig = field(default_factory=SelectConfig)

    @property
    def resolved_target(self) -> TargetConfig | None:
        """The target as a `TargetConfig` (`target: balanced` is `{balanced: true}`)."""
        if self.target == "balanced":
            return TargetConfig(balanced=True)
        return self.target if isinstance(self.target, TargetConfig) else None

    def strategy_for(self, name: str) -> str:
        """The strategy the recipe gives class `name` (`auto` when it names none)."""
        if isinstance(self.strategy, str):
            return self.strategy
        return self.strategy.get(name, "auto")

    def strategy_key(self, name: str) -> str:
        """The key path that sets class `name`'s strategy, for messages."""
        if isinstance(self.strategy, dict) and name in self.strategy:
            return f"balance.strategy.{name}"
        return "balance.strategy"

    def check(self, ctx: CheckContext) -> Problems:
        recipe = ctx.recipe
        classes = recipe.task.classes
        strategies = {"": self.strategy} if isinstance(self.strategy, str) else {
            f".{name}": value for name, value in self.strategy.items()}
        if isinstance(self.strategy, dict):
            yield from _class_names(self.strategy, classes, "strategy")
        target = self.resolved_target
        if target is not None and not target.kinds():
            yield "target", ("is empty; expected balanced, counts, ratios, min_per_class or "
                             "max_ratio.")
        names = strategy_names()
        for suffix, value in strategies.items():
            if value not in names:
                yield f"strategy{suffix}", (f"found '{value}', expected one of "
                                            f"{one_of(names)}." + did_you_mean(value, names))
        used = set(strategies.values())
        if self.target is None and used - {AUTO}:
            yield "strategy", "is set but balance.target is not; expected a target to reach."
        if self.k_neighbors < 1:
            yield "k_neighbors", f"found {self.k_neighbors}, expected a positive number."
        for key, message in self.augment.problems():
            yield f"augment.{key}", message
        for suffix, value in strategies.items():
            known = value in names and value != AUTO
            problem = STRATEGIES.get(value)().problem(recipe) if known else None
            if problem:
                yield f"strategy{suffix}", problem
            if recipe.synthetic.mode == "release" and value not in (AUTO, RELEASE_STRATEGY):
                yield f"strategy{suffix}", (f"is '{value}', but synthetic.mode is release, where "
                                            f"every row comes from the generator; expected {AUTO} "
                                            f"or {RELEASE_STRATEGY}.")
