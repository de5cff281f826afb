"""The `engine` section of a recipe: where the stages' partition functions run, and in what pieces.

```yaml
engine: local                                  # the default: one process, out of core
engine: {type: dask, address: tcp://scheduler:8786}              # an existing Dask cluster
engine: {type: dask, local_cluster: {n_workers: 2, memory_limit: 4GiB}}  # a cluster started here
engine: {type: local, partition_size: 16MiB}   # smaller pieces: less memory, more overhead
engine: {type: local, threads: 1}              # one partition at a time (default: 2 at once)
```

The engine never changes what a build produces: every random choice is keyed by row ids and
step names, never by where or in which piece a row is processed, and published shards are cut
by rows and bytes of the data, not by partitions. So `engine` is not a DVC parameter of any
stage and is not written into `recipe.yaml` (the compose stage writes it to `engine.yaml`).
Nothing here imports dask.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from builder.recipe.schema import CheckContext

Problems = Iterator[tuple[str, str]]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
          "gb": 10**9, "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
          "tib": 2**40, "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}

#: Partitions hold about this much input data by default: small enough that a stage's working
#: memory stays a few times this per process, large enough that per-partition overheads vanish.
DEFAULT_PARTITION_SIZE = "32MiB"


def parse_size(text: str | int) -> int | None:
    """Bytes from `4GiB`, `512MB`, `1e6`-free integers or plain numbers; None when unreadable."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = _SIZE.match(str(text))
    if not match:
        return None
    unit = _UNITS.get(match.group(2).lower())
    return None if unit is None else int(float(match.group(1)) * unit)


def _check_size(value: str | int, key: str, minimum: int) -> Problems:
    size = parse_size(value)
    if size is None:
        yield key, f"found '{value}', expected a size such as 32MiB, 512MB or 4GiB."
    elif size < minimum:
        yield key, f"found '{value}', expected at least {minimum} bytes."


@dataclass(kw_only=True)
class LocalClusterConfig:
    """A `dask.distributed.LocalCluster` started for the build and stopped after it."""

    n_workers: int = 2
    threads_per_worker: int = 1
    memory_limit: str = "4GiB"
    host: str = "127.0.0.1"

    def check(self, ctx: CheckContext) -> Problems:
        if self.n_workers < 1:
            yield "n_workers", f"found {self.n_workers}, expected at least 1 worker."
        if self.threads_per_worker < 1:
            yield "threads_per_worker", (f"found {self.threads_per_worker}, expected at least "
                                         "1 thread.")
        yield from _check_size(self.memory_limit, "memory_limit", 64 * 2**20)


#: The partition cache's default size cap (`engine.cache.max_size`).
DEFAULT_CACHE_SIZE = "20GiB"


@dataclass(kw_only=True)
class CacheConfig:
    """The partition cache (`builder.cache`): `path` (default
    `data/<recipe>/.cache/partitions`; relative to the project root; a folder several builds or
    Dask workers share is fine) and `max_size` (least recently used entries are evicted past it;
    0 turns the cache off)."""

    path: str | None = None
    max_size: str | int = DEFAULT_CACHE_SIZE

    @property
    def max_bytes(self) -> int:
        size = parse_size(self.max_size)
        return parse_size(DEFAULT_CACHE_SIZE) if size is None else size

    def check(self, ctx: CheckContext) -> Problems:
        yield from _check_size(self.max_size, "max_size", 0)


@dataclass(kw_only=True)
class EngineConfig:
    """Which engine runs the stages' partition functions, and how big a partition is."""

    type: Literal["local", "dask"] = "local"
    partition_size: str = DEFAULT_PARTITION_SIZE
    address: str | None = None
    local_cluster: LocalClusterConfig | None = None
    local_directory: str | None = None
    #: Partitions the local engine works on at once, each in a thread of this process; on
    #: every engine, a large CSV file is cut into a multiple of this many equal partitions.
    threads: int = 2
    cache: CacheConfig = field(default_factory=CacheConfig)

    @property
    def partition_bytes(self) -> int:
        return parse_size(self.partition_size) or parse_size(DEFAULT_PARTITION_SIZE)

    def check(self, ctx: CheckContext) -> Problems:
        yield from _check_size(self.partition_size, "partition_size", 64 * 2**10)
        if self.threads < 1:
            yield "threads", f"found {self.threads}, expected at least 1 thread."
        if self.type == "local":
            for key in ("address", "local_cluster"):
                if getattr(self, key) is not None:
                    yield key, "is set, but type is local; expected type: dask with it."
            return
        if (self.address is None) == (self.local_cluster is None):
            yield "address", ("expected either `address` (an existing Dask scheduler, e.g. "
                              "tcp://scheduler:8786) or `local_cluster` (workers started here), "
                              "not both or neither.")
        elif self.address is not None and "://" not in self.address:
            yield "address", (f"found '{self.address}', expected a scheduler address with its "
                              "protocol, e.g. tcp://10.0.0.5:8786.")


def engine_config(value: str | EngineConfig | None) -> EngineConfig:
    """The recipe's `engine` value as a config object (`engine: local` is `{type: local}`)."""
    if isinstance(value, EngineConfig):
        return value
    if value == "dask":
        return EngineConfig(type="dask", local_cluster=LocalClusterConfig())
    return EngineConfig()
