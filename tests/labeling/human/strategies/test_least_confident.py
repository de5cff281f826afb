"""`least_confident`: lowest confidence first, never gold or human rows."""

from __future__ import annotations

from builder.labeling.human.queue import select
from tests.labeling.human.strategies.rows import TASK, labeled, picks


def test_least_confident_first_never_gold_or_human() -> None:
    queue = select(labeled(), TASK, "least_confident", budget=4, seed=1, exclude=set())
    # q/3 has no label and only a model guess (0.4); then weak 0.51, 0.55, 0.6.
    assert picks(queue) == ["q/3", "q/7", "q/1", "q/5"]
    assert queue.candidates == 8
    assert queue.rows["prediction"].tolist() == ["neg", "pos", "pos", "pos"]
    assert queue.rows["score"].tolist() == [0.4, 0.51, 0.55, 0.6]
