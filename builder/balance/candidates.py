"""The plans `balance.strategy: auto` chooses between, simplest first.

| candidate | every class ... |
|---|---|
| `keep` | stays as it is (the target is not applied) |
| `undersample` | shrinks to the target's class mix without growing any class: the largest table in that mix the rows allow |
| `oversample`, `smote`, `synthetic` | reaches its target: classes above it are under-sampled, classes below it grown by the named strategy |

A growing strategy a class cannot use falls back the way the rule-based planner would: a
generator needs `MIN_MODEL_ROWS` rows of the class (else SMOTE), SMOTE two rows (else
over-sampling). `smote` and `synthetic` are not candidates for free text, `synthetic` only when a
generator is set. A candidate whose plan equals a simpler one's is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.balance.planner import ClassPlan
from builder.balance.strategies.base import TableProfile
from builder.balance.strategies.synthetic import MIN_MODEL_ROWS

#: Candidates, simplest first: within the tolerance the earlier one wins.
ORDER = ("keep", "undersample", "oversample", "smote", "synthetic")


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


def names(profile: TableProfile) -> list[str]:
    """The candidates open to a table."""
    text = profile.text_column is not None
    return [n for n in ORDER if not (text and n in ("smote", "synthetic"))
            and not (n == "synthetic" and not profile.generator)]


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
               profile: TableProfile) -> list[Candidate]:
    """Every distinct candidate open to the table, simplest first."""
    found, seen = [], set()
    for name in names(profile):
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
