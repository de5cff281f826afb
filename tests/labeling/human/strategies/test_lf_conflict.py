"""`lf_conflict`: rows the labeling functions disagree on, lowest weak confidence first."""

from __future__ import annotations

from builder.labeling.human.queue import select
from tests.labeling.human.strategies.rows import TASK, labeled, picks


def test_lf_conflicts_by_weak_confidence() -> None:
    queue = select(labeled(), TASK, "lf_conflict", budget=10, seed=1, exclude=set())
    assert picks(queue) == ["q/7", "q/1", "q/5"]  # q/6 is human-labeled
