"""The stage runner: each stage reads the previous artifact, runs its steps, writes atomically.

| stage   | reads                  | writes                                          |
|---------|------------------------|-------------------------------------------------|
| compose | recipes/<r>.yaml, conf | recipe.yaml, inputs.yaml, engine.yaml           |
| ingest  | sources                | ingested/, metrics/ingest.json                  |
| label   | ingested/              | labeled/, metrics/label.json                    |
| split   | labeled/               | split/, metrics/split.json                      |
| augment | split/                 | augmented/, metrics/augment.json                |
| export  | augmented/             | dataset/, hub/, README.md, metrics.json         |

Artifacts are partitioned (`builder.partitions`); the stages run their partition functions on
the recipe's engine (`builder.engine`), started once per build (or per `builder stage`).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from builder.recipe.compose import Composed, load, load_resolved
from builder.recipe.schema import Recipe

STAGE_NAMES = ("compose", "ingest", "label", "split", "augment", "export")
T = TypeVar("T")


@dataclass
class Context:
    """What a stage sees: the project root, the validated recipe and its data folder."""

    root: Path
    composed: Composed
    progress: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    display: ProgressDisplay | None = None
    engine: Any = None
    #: `inputs.yaml` being written in a thread (`fingerprints.write_resolved`), or None.
    inputs_written: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # What a task on another process gets: no progress display, no engine.
        return {**self.__dict__, "display": None, "engine": None, "timings": {},
                "inputs_written": None}

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
    def data_dir(self) -> Path:
        return self.root / "data" / self.recipe.name

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


def _stage_functions() -> dict[str, Callable[[Context], Any]]:
    # Imported here so that `builder validate` never pays for pandas, pyarrow or datasets.
    from builder import augment, split
    from builder.export import stage as export_stage
    from builder.labeling import stage as label_stage
    from builder.sources import ingest

    return {
        "ingest": ingest.run,
        "label": label_stage.run,
        "split": split.run,
        "augment": augment.run,
        "export": export_stage.run,
    }


def compose_stage(ref: str, root: Path, overrides: Sequence[str] = (),
                  inputs_behind: bool = False) -> Context:
    """Compose and validate a recipe, then write its resolved `recipe.yaml` and `inputs.yaml`
    (`inputs_behind`: the latter in a thread, see `fingerprints.write_resolved`)."""
    from builder.fingerprints import write_resolved

    composed = load(ref, root, overrides)
    ctx = Context(root=root, composed=composed)
    write_resolved(ctx, inputs_behind)
    return ctx


def open_context(ref: str, root: Path) -> Context:
    """A context from the resolved `data/<recipe>/recipe.yaml` the compose stage wrote."""
    name = Path(ref).stem if ref.endswith((".yaml", ".yml")) else ref
    composed = load_resolved(root / "data" / name / "recipe.yaml", root)
    return Context(root=root, composed=composed)


def run_stage(name: str, ctx: Context) -> Any:
    """Run one data stage (not compose) on a context and record its wall time; the recipe's
    engine is started for it unless the context has one running."""
    functions = _stage_functions()
    with _engine_for(ctx):
        started = time.perf_counter()
        result = functions[name](ctx)
        ctx.timings[name] = time.perf_counter() - started
    return result


@contextlib.contextmanager
def _engine_for(ctx: Context) -> Iterator[None]:
    if ctx.engine is not None:
        yield
        return
    from builder.engine import running

    with running(ctx.recipe.engine_config, ctx.composed.display_file) as engine:
        ctx.engine = engine
        try:
            yield
        finally:
            ctx.engine = None


class ProgressDisplay:
    """A transient rich display: one bar over the stages, one over the current stage's steps."""

    def __init__(self, console: Any):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn)

        self.bars = Progress(SpinnerColumn(), TextColumn("{task.description:<24}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                             transient=True)
        self.stages = self.bars.add_task("compose", total=len(STAGE_NAMES))

    def stage(self, name: str) -> None:
        """Show `name` as the running stage."""
        self.bars.update(self.stages, description=name)

    def stage_done(self) -> None:
        self.bars.advance(self.stages)

    def track(self, items: list[T], label: str) -> Iterator[T]:
        task = self.bars.add_task(f"  {label}", total=len(items))
        for item in items:
            yield item
            self.bars.advance(task)
        self.bars.remove_task(task)


@contextlib.contextmanager
def progress_display(enabled: bool, console: Any = None) -> Iterator[ProgressDisplay | None]:
    """A `ProgressDisplay` on stderr while the block runs, or None when disabled or when
    stderr is not a terminal (logs and pipes get only the summary)."""
    if not enabled:
        yield None
        return
    from rich.console import Console

    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    display = ProgressDisplay(console)
    with display.bars:
        yield display


def build(ref: str, root: Path, overrides: Sequence[str] = (), progress: bool = True,
          console: Any = None) -> Context:
    """Run every stage in order, as `dvc repro` would, without DVC; `progress` shows bars on
    stderr (or on `console`) when it is a terminal. The engine is started once for all stages;
    metrics files are written in the background (`artifacts.write_behind`), and the input files
    hashed for `inputs.yaml` while the ingest stage reads them."""
    from builder import artifacts

    with progress_display(progress, console) as display, artifacts.write_behind():
        started = time.perf_counter()
        ctx = compose_stage(ref, root, overrides, inputs_behind=True)
        ctx.progress = progress
        ctx.display = display
        ctx.timings["compose"] = time.perf_counter() - started
        with _engine_for(ctx):
            for name in STAGE_NAMES[1:]:
                if display is not None:
                    display.stage_done()
                    display.stage(name)
                run_stage(name, ctx)
        ctx.wait_for_inputs()
        if display is not None:
            display.stage_done()
    ctx.display = None
    return ctx
