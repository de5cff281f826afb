"""`disagreement`: weak label != model label, most confident first."""

from __future__ import annotations

from builder.labeling.human.queue import select
from tests.labeling.human.strategies.rows import TASK, labeled, picks


def test_disagreement_most_confident_first() -> None:
    queue = select(labeled(), TASK, "disagreement", budget=10, seed=1, exclude=set())
    # weak != model: q/1 (0.55 + 0.7), q/5 (0.6 + 0.65), q/8 (0.7 + 0.75)
    assert picks(queue) == ["q/8", "q/5", "q/1"]
