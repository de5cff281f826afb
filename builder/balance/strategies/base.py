"""What a balance strategy is: a `Strategy` class registered in `STRATEGIES` by its recipe name.

A strategy moves one class of the train split from its count to its target. It says

- what it does to the count (`adds`, `removes`: neither for `keep`), which `auto`, a single
  recipe-wide strategy and the messages follow;
- the `_origin` of the rows it makes (`origin`, None when it makes none) and whether they are
  copies of real rows, written with their part (`copies`), or generated rows whose quality and
  privacy are measured;
- what the card calls it (`description`);
- `problem(recipe)`: why the recipe cannot use it (checked by `builder validate`);
- `reason(...)`: why it applies to a class with this count and target (a `DataError` if it cannot);
- `select(...)`: which train rows of the whole table it leaves out or copies, from the rows' keys;
- `build(...)`: the rows it adds to the sample's train rows (or the rows it asks a generator for).

Adding a strategy is one module in this package plus its import in `__init__.py`. Nothing here
imports pandas or a sampler at module level: `builder validate` loads the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from builder.balance.config import STRATEGIES
from builder.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from builder.balance.planner import ClassPlan


def smote_variant(numeric: bool, categorical: bool) -> str:
    """SMOTE for numeric columns, SMOTEN for categorical ones, SMOTENC for a mix."""
    if numeric and categorical:
        return "SMOTENC"
    return "SMOTE" if numeric else "SMOTEN"


@dataclass(frozen=True)
class TableProfile:
    """What the planner and the strategies know about the train table."""

    numeric: int
    categorical: int
    text_column: str | None = None
    generator: str | None = None
    k_neighbors: int = 5
    missing_numbers: bool = False

    @property
    def smote_variant(self) -> str:
        """The SMOTE variant for this table (missing numbers count as a mix: SMOTE encodes
        their missingness as a categorical flag)."""
        return smote_variant(self.numeric > 0, self.categorical > 0 or self.missing_numbers)


@dataclass
class Choice:
    """What a strategy does to the train rows of the whole table, by position among them:
    the rows it leaves out, and how many copies of each row it adds."""

    drop: np.ndarray | None = None
    copies: np.ndarray | None = None


@dataclass
class TrainSample:
    """The sample's train rows as `Strategy.build` sees them."""

    rows: pd.DataFrame
    features: list[str]
    label: str
    k_neighbors: int
    #: `seed(*names)`: the augment stage's seed for a step.
    seed: Callable[..., int]
    #: `generated(features, class, origin, ids)`: new rows as rows of the table.
    generated: Callable[..., pd.DataFrame]
    #: `copies(sequence)`: per sample train row, the copies plan number `sequence` selected.
    copies: Callable[[int], np.ndarray]


@dataclass
class Outcome:
    """What `Strategy.build` did for one class: rows added, the method the card shows (None: the
    strategy's description), rows a generator must add (None: it asks the generator for none)."""

    rows: pd.DataFrame | None = None
    method: str | None = None
    generator_rows: int | None = None


class Strategy:
    """One balance strategy; subclasses set the class attributes and override what applies."""

    type_name: ClassVar[str]
    adds: ClassVar[bool] = False
    removes: ClassVar[bool] = False
    origin: ClassVar[str | None] = None
    copies: ClassVar[bool] = False
    description: ClassVar[str] = ""
    #: Whether `expected` suggests it in messages (not a strategy for some tasks only).
    suggested: ClassVar[bool] = True
    #: Where `strategy: auto` tries a strategy that adds rows among its candidate plans, simplest
    #: first (`builder.balance.candidates`): a tie within the tolerance goes to the lower rank.
    rank: ClassVar[int] = 50

    def problem(self, recipe: Any) -> str | None:
        """Why `recipe` cannot use this strategy (the rest of the message after the key), or
        None."""
        return None

    def reason(self, where: str, count: int, target: int, profile: TableProfile) -> str:
        """Why the recipe's choice of this strategy holds for a class with `count` train rows
        and `target`; `where` starts the `DataError` raised when it cannot reach the target."""
        if self.adds and target < count:
            raise DataError(f"{where}, but '{self.type_name}' can only add rows. Expected "
                            f"{expected(removing=True)}.")
        return f"the recipe asks for {self.type_name}"

    def select(self, plan: ClassPlan, rows: np.ndarray, order: np.ndarray,
               total: int) -> Choice:
        """The class's rows left out or copied: `rows` are its positions among the `total`
        train rows of the whole table, `order` the same positions by key (smallest first)."""
        return Choice()

    def build(self, plan: ClassPlan, sequence: int, train: TrainSample) -> Outcome:
        """The rows this strategy adds for `plan` (the `sequence`-th plan) to the sample."""
        return Outcome()


def strategies() -> list[Strategy]:
    """Every registered strategy, by name."""
    return [STRATEGIES.get(name)() for name in STRATEGIES.names()]


def strategy(name: str) -> Strategy:
    """The strategy registered as `name`."""
    return STRATEGIES.get(name)()


def expected(*, removing: bool) -> str:
    """`undersample or auto` (`removing`) or `oversample, smote, synthetic or auto`: the
    strategies that move a class the way its target asks, for messages."""
    names = [s.type_name for s in strategies()
             if (s.removes if removing else s.adds) and s.suggested]
    return ", ".join(names) + " or auto"
