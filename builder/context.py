"""What a stage sees (`Context`) and how every random choice gets its seed (`derive_seed`).

Part of the kernel: it imports no domain package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from builder.recipe.compose import Composed, load_resolved
from builder.recipe.schema import Recipe

T = TypeVar("T")


@dataclass
class Context:
    """What a stage sees: the project root, the validated recipe and its data folder."""

    root: Path
    composed: Composed
    progress: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    #: The progress bars of `builder build` on a terminal (`pipeline` runner), or None.
    display: Any = None
    engine: Any = None
    #: `inputs.yaml` being written in a thread (`fingerprints.write_resolved`), or None.
    inputs_written: Any = None
    #: The pipeline's stages in order (`builder.pipeline.STAGES`), set by the runner: a stage
    #: that reads what the stages before it wrote (export) finds them here.
    stages: tuple[Any, ...] = ()
    #: The partition cache (`builder.cache`), opened by the runner; None: no caching.
    cache: Any = None
    #: The running stage's part of every cache key: its name, its sections of the recipe and
    #: its code (`builder.cache.stage_scope`), set by the runner.
    scope: str = ""
    #: The running stage's code fingerprint (`builder.cache.code_fingerprint`), for
    #: keys finer than `scope` (one labeling function's votes).
    code: str = ""
    #: The folder `builder build` writes every stage into, swapped in as `data/<recipe>/`
    #: at the end (`pipeline.runner.build`); None: the stages write `data/<recipe>/` itself.
    staging: Path | None = None

    def __getstate__(self) -> dict[str, Any]:
        # What a task on another process gets: no progress display, no engine.
        return {**self.__dict__, "display": None, "engine": None, "timings": {},
                "inputs_written": None, "stages": ()}

    def wait_for_inputs(self) -> None:
        """Wait until `inputs.yaml` is written, if it is being written (raising its error)."""
        if self.inputs_written is not None:
            written, self.inputs_written = self.inputs_written, None
            written.result()

    def map(self, fn: Callable[..., Any], items: Iterable[Any], *args: Any,
            label: str = "", threads: bool = True) -> list[Any]:
        """`fn(item, self, *args)` for every item, on the recipe's engine, results in order;
        `threads=False` for functions that must not run beside each other in one process."""
        if self.engine is None:
            from builder.engine import LocalEngine

            self.engine = LocalEngine(self.recipe.engine_config)
        self.engine.track = self.track
        return self.engine.map(fn, list(items), self, *args, label=label, threads=threads)

    @property
    def local_threads(self) -> int:
        """Threads a partition function may use for its own pieces: the local engine's
        `threads`, 1 on a cluster (whose workers already run partitions side by side)."""
        config = self.recipe.engine_config
        return config.threads if config.type == "local" else 1

    @property
    def partition_bytes(self) -> int:
        """About how much input data one partition of this build holds."""
        return self.recipe.engine_config.partition_bytes

    def track(self, items: Iterable[T], label: str) -> Iterator[T]:
        """Iterate over a long stage's steps, shown as a bar under the stage bar when building."""
        if self.display is None:
            return iter(items)
        return self.display.track(list(items), label)

    @property
    def recipe(self) -> Recipe:
        return self.composed.recipe

    @property
    def home(self) -> Path:
        """`data/<recipe>/`: where the outputs are published, and where caches live."""
        return self.root / "data" / self.recipe.name

    @property
    def data_dir(self) -> Path:
        """Where the stages write their outputs: the staging folder of a build, else `home`."""
        return self.staging or self.home

    def artifact(self, name: str) -> Path:
        """Path of an artifact in this recipe's data folder."""
        return self.data_dir / name

    def metrics_path(self, stage: str) -> Path:
        return self.data_dir / "metrics" / f"{stage}.json"

    def step_seed(self, *names: str) -> int:
        """A seed for one step: derived from the recipe's seed and the step's name."""
        return derive_seed(self.recipe.seed, *names)


def derive_seed(seed: int, *names: str) -> int:
    """A 32-bit seed from a base seed and names, stable across runs and platforms."""
    text = "/".join([str(seed), *names]).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little")


def open_context(ref: str, root: Path) -> Context:
    """A context from the resolved `data/<recipe>/recipe.yaml` the compose stage wrote (`ref`:
    a recipe name or a recipe file)."""
    name = Path(ref).stem if ref.endswith((".yaml", ".yml")) else ref
    return Context(root=root, composed=load_resolved(root / "data" / name / "recipe.yaml", root))
