"""Engines run a stage's partition functions: one after another here, or as tasks on Dask.

A stage is written once, in terms of partitions: row-wise work is a module-level function from
one partition to one partition (it reads its input part, writes its output part into the stage's
temporary folder and returns a small summary), and table-wise work runs in the driver on what
those summaries reduce the table to (counts, hashes, vote patterns, a bounded sample). An engine
only decides where the functions run:

- `LocalEngine`: in this process, `engine.threads` partitions at a time, so a stage never holds
  more than a few partitions (out of core);
- `builder.engine.dask.DaskEngine`: as tasks on a `dask.distributed` cluster, an existing one
  (`engine.address`) or one started for the build (`engine.local_cluster`).

Both call the same functions on the same partitions in the same order of results, so they
produce the same artifacts. Functions must be importable on the workers (the `builder`
package) and everything they read or write must be reachable there (sources, `data/<recipe>/`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from builder.engine.base import Engine, Tracker  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from builder.engine.config import EngineConfig

T = TypeVar("T")
R = TypeVar("R")


class LocalEngine(Engine):
    """One process; partitions one after another, or `engine.threads` at a time."""

    name = "local"

    def map(self, fn, items, *args, label="", threads=True):
        items = list(items)
        workers = self.config.threads if threads else 1
        tracked = self.track(items, label or fn.__name__)
        return list(ordered_map(lambda item: fn(item, *args), tracked, workers))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`fn(item)` for every item, in the items' order, on up to `workers` threads (pandas, numpy
    and pyarrow release the GIL for most of a partition's work). Items are taken from the
    iterable only as threads free up, so at most `workers` of them are in memory."""
    if workers <= 1:
        yield from map(fn, items)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="partition") as pool:
        running: deque = deque()
        for item in items:
            if len(running) == workers:
                yield running.popleft().result()
            running.append(pool.submit(fn, item))
        while running:
            yield running.popleft().result()


def start_engine(config: EngineConfig, origin: str = "recipe") -> Engine:
    """The engine a recipe's `engine` section asks for (a Dask cluster is connected or started);
    `origin` (the recipe's file) is named in errors."""
    if config.type == "dask":
        from builder.engine.dask import DaskEngine

        return DaskEngine(config, origin)
    return LocalEngine(config)


@contextlib.contextmanager
def running(config: EngineConfig, origin: str = "recipe") -> Iterator[Engine]:
    """An engine for the duration of a block; a cluster started here stops at its end."""
    engine = start_engine(config, origin)
    try:
        yield engine
    finally:
        engine.close()
