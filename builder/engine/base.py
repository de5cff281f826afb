"""What every engine is (`Engine`): a way to run a function over partitions, results in order.

Its own module so that `builder.engine.dask` can subclass it without importing the package that
imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from builder.engine.config import EngineConfig

T = TypeVar("T")
R = TypeVar("R")

#: Shows progress over an engine's tasks: `track(items, label)` yields the items, advancing a bar.
Tracker = Callable[[Iterable[Any], str], Iterator[Any]]


def _untracked(items: Iterable[Any], label: str) -> Iterator[Any]:
    return iter(items)


class Engine:
    """Runs `fn(item, *args)` for every item and returns the results in the items' order."""

    name = "engine"

    def __init__(self, config: EngineConfig):
        self.config = config
        self.track: Tracker = _untracked

    @property
    def partition_bytes(self) -> int:
        """About how much input data one partition holds."""
        return self.config.partition_bytes

    def map(self, fn: Callable[..., R], items: Sequence[T], *args: Any, label: str = "",
            threads: bool = True) -> list[R]:
        """`threads=False`: `fn` must not run beside itself in one process (global seeds)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine started (workers, connections)."""
