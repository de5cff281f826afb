"""The plans `balance.strategy: auto` chooses between, simplest first: `keep`, then by rank
(`oversample`, `undersample` at `UNDERSAMPLE_RANK`, then the strategies that invent rows).

| candidate | every class ... |
|---|---|
| `keep` | stays as it is (the target is not applied) |
| `undersample` | shrinks to the target's class mix without growing any class: the largest table in that mix the rows allow |
| `oversample`, `smote`, `synthetic` | reaches its target: classes above it are under-sampled, classes below it grown by the named strategy |

The growing candidates are every registered strategy that adds rows and that the recipe can use
(`Strategy.problem`: no `smote` for free text, `synthetic` only with a generator...), in the
order of their `rank`. A growing strategy a class cannot use falls back the way the rule-based
planner would: a generator needs `MIN_MODEL_ROWS` rows of the class (else SMOTE), SMOTE two rows
(else over-sampling). A candidate whose plan equals a simpler one's is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

from builder.balance.planner import ClassPlan
from builder.balance.strategies.base import strategies
from builder.balance.strategies.synthetic import MIN_MODEL_ROWS

#: Where `undersample` goes among the growing candidates' ranks: after `oversample` (10), which
#: keeps every real row, before those that invent rows (augment 15, smote 20, synthetic 30).
#: Simpler means keeping more of the real rows as they are: under-sampling throws some away.
UNDERSAMPLE_RANK = 12


@dataclass(frozen=True)
class Candidate:
    """A plan for every class: its target and strategy."""

    name: str
    targets: dict[str, int]
    strategies: dict[str, str]

    def plans(self, before: dict[str, int], reason: str, chosen_by: str) -> list[ClassPlan]:
        """The candidate as the stage's class plans."""
        return [ClassPlan(c, n, self.targets[c], self.strategies[c], reason, chosen_by)
                for c, n in before.items()]

    def key(self) -> tuple:
        return tuple(sorted((c, self.targets[c], self.strategies[c]) for c in self.targets))


def names(recipe: Any) -> list[str]:
    """The candidates open to a recipe, simplest first."""
    growing = [(s.rank, s.type_name) for s in strategies()
               if s.adds and s.problem(recipe) is None]
    return ["keep", *(name for _, name in sorted([*growing, (UNDERSAMPLE_RANK, "undersample")]))]


def shrunk(before: dict[str, int], targets: dict[str, int]) -> dict[str, int]:
    """The largest counts in the targets' class mix that no class's rows fall short of."""
    present = {c: t for c, t in targets.items() if t > 0 and before[c] > 0}
    if not present:
        return dict(before)
    scale = min(before[c] / t for c, t in present.items())
    return {c: min(before[c], max(1, int(t * scale))) if c in present else before[c]
            for c, t in targets.items()}


def grown(strategy: str, count: int) -> str:
    """`strategy` for a class of `count` rows that must grow, or what it falls back to."""
    if strategy == "synthetic" and count < MIN_MODEL_ROWS:
        strategy = "smote"
    if strategy == "smote" and count < 2:
        strategy = "oversample"
    return strategy


def candidate(name: str, before: dict[str, int], targets: dict[str, int]) -> Candidate:
    """Candidate `name` for these class counts and the recipe's targets."""
    if name == "keep":
        return Candidate(name, dict(before), {c: "keep" for c in before})
    if name == "undersample":
        goal = shrunk(before, targets)
        return Candidate(name, goal, {c: "keep" if goal[c] == n else "undersample"
                                      for c, n in before.items()})
    strategies = {}
    for c, n in before.items():
        target = targets[c]
        if target > n:
            strategies[c] = grown(name, n)
        else:
            strategies[c] = "keep" if target == n else "undersample"
    return Candidate(name, dict(targets), strategies)


def candidates(before: dict[str, int], targets: dict[str, int],
               open_to: list[str]) -> list[Candidate]:
    """Every distinct candidate of `open_to` (names, simplest first) for these counts."""
    found, seen = [], set()
    for name in open_to:
        made = candidate(name, before, targets)
        if made.key() not in seen:
            seen.add(made.key())
            found.append(made)
    return found


def scaled(targets: dict[str, int], before: dict[str, int],
           rows: dict[str, int]) -> dict[str, int]:
    """The targets for a subset of the rows (`rows` per class): each class keeps its growth."""
    return {c: (max(1, round(targets[c] * rows[c] / before[c])) if before[c] and rows[c] else 0)
            for c in targets}
