"""The runner: compose a recipe, then run the stages of `builder.pipeline.STAGES` in order.

Each stage reads the artifact of the stage it names in `reads` (the runner hands it that
folder) and writes its own atomically. `build` runs them all, as `dvc repro` would without DVC;
`run_stage` runs one (`builder stage NAME RECIPE`, what `dvc.yaml` calls). Artifacts are
partitioned (`builder.partitions`); the stages run their partition functions on the recipe's
engine (`builder.engine`), started once per build (or per `builder stage`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from builder.pipeline import STAGES, stage_named
from builder.pipeline.stage import Stage

if TYPE_CHECKING:  # imported where used: `restore_stage` needs neither
    from builder.context import Context

T = TypeVar("T")


def compose_stage(ref: str, root: Path, overrides: Sequence[str] = (),
                  inputs_behind: bool = False, staging: Path | None = None) -> Context:
    """Compose and validate a recipe, then write its resolved `recipe.yaml` and `inputs.yaml`
    (`inputs_behind`: the latter in a thread, see `fingerprints.write_resolved`; `staging`:
    the folder the stages write into instead of `data/<recipe>/`, see `build`)."""
    from builder.context import Context
    from builder.pipeline import compose
    from builder.recipe.compose import load

    ctx = Context(root=root, composed=load(ref, root, overrides), stages=STAGES,
                  staging=staging)
    compose.run(ctx, None, inputs_behind=inputs_behind)
    return ctx


def open_context(ref: str, root: Path) -> Context:
    """A context from the resolved `data/<recipe>/recipe.yaml` the compose stage wrote, that
    knows the stages."""
    from builder import context

    ctx = context.open_context(ref, root)
    ctx.stages = STAGES
    return ctx


def source_of(stage: Stage, ctx: Context) -> Path | None:
    """The folder of the artifact `stage` reads (None for a stage that reads no artifact)."""
    if stage.reads is None:
        return None
    return ctx.artifact(stage_named(stage.reads).artifact)


def run_stage(name: str, ctx: Context, deferred: list[Callable[[], None]] | None = None) -> Any:
    """Run one data stage (not compose) on a context and record its wall time; the recipe's
    engine is started for it unless the context has one running. A stage whose inputs, recipe
    sections and code are those of a build the cache kept restores what that build wrote
    (`_run_or_restore`); what it computed is stored once its checks passed (`deferred`
    collects the cache writes to do once the write-behind session has put every file on
    disk)."""
    from builder import checks

    stage = stage_named(name)
    ctx.stages = STAGES
    with _engine_for(ctx):
        started = time.perf_counter()
        written = _open_cache(ctx, stage)
        result, store = _run_or_restore(ctx, stage, written.get("checks"))
        ctx.timings[name] = time.perf_counter() - started
    checks.after_stage(name, result, ctx.recipe)  # a step that lost most rows, an empty split
    if store is not None and deferred is not None:
        deferred.append(store)
    elif ctx.cache is not None:
        if store is not None:
            store()
        ctx.cache.trim()
    return result


def _open_cache(ctx: Context, stage: Stage) -> dict[str, Any]:
    """The partition cache of `engine.cache` on the context, and the stage's key scope;
    returns the resolved recipe as written (`_as_written`)."""
    from builder.cache import code_fingerprint, open_cache, stage_scope

    if ctx.cache is None:
        ctx.cache = open_cache(ctx.home, ctx.root, ctx.recipe.engine_config.cache)
    resolved = _as_written(ctx.composed.resolved())
    ctx.scope = stage_scope(stage.name, {s: resolved.get(s) for s in stage.sections}, stage.code)
    ctx.code = code_fingerprint(tuple(stage.code))
    return resolved


def _as_written(resolved: dict[str, Any]) -> dict[str, Any]:
    """The resolved recipe as `recipe.yaml` holds it (what the compose stage writes, read
    back), so that `restore_stage` finds the keys a build made from `recipe.yaml` alone."""
    import yaml

    return yaml.safe_load(yaml.safe_dump(resolved, sort_keys=False))


def stage_outputs(stage: Stage) -> list[str]:
    """Everything a stage writes under `data/<recipe>/`: its `writes`, and for the export
    the DVC metrics and plots files."""
    if stage.name != "export":
        return list(stage.writes)
    from builder.export.dvc_files import METRICS_FILE, PLOTS_DIR

    return [*stage.writes, METRICS_FILE, PLOTS_DIR]


def _run_or_restore(ctx: Context, stage: Stage,
                    checks: Any) -> tuple[Any, Callable[[], None] | None]:
    """Run the stage, or restore its outputs from the cache when it holds the outputs of the
    same scope (recipe sections, code) run on the same inputs: `inputs.yaml` and every file
    the stages before it wrote (`checks`: the recipe's, see `_entry_key`). Returns the result
    and, when the stage ran, what stores its outputs in the cache (None: nothing to store)."""
    from builder.stage_cache import restore_outputs, store_outputs

    cache = ctx.cache
    if cache is None or cache.off:
        return stage.run(ctx, source_of(stage, ctx)), None
    ctx.wait_for_inputs()
    if stage.reads is None and not _sources_fingerprinted(ctx):
        return stage.run(ctx, source_of(stage, ctx)), None  # e.g. a database behind a URL
    entry_key = _entry_key(cache, stage, ctx.scope, checks, ctx.recipe.engine_config,
                           ctx.data_dir, ctx.home)
    if entry_key is None:
        return stage.run(ctx, source_of(stage, ctx)), None
    outputs = stage_outputs(stage)
    restored, result = restore_outputs(cache, entry_key, ctx.data_dir, outputs)
    if restored:
        return result, None
    result = stage.run(ctx, source_of(stage, ctx))

    def store() -> None:
        store_outputs(cache, entry_key, ctx.data_dir, outputs, result)

    return result, store


def _entry_key(cache: Any, stage: Stage, scope: str, checks: Any, engine: Any,
               data_dir: Path, home: Path) -> str | None:
    """The key of a stage's whole outputs: its scope, the digest of every file the stages
    before it wrote (None: one is missing), how sources are cut into parts (the artifacts'
    files) and the recipe's `checks` (an entry is stored once they passed, so a restored
    stage passes them again)."""
    from builder.cache import key
    from builder.stage_cache import inputs_digest

    before = [name for s in STAGES[:STAGES.index(stage)] for name in stage_outputs(s)
              if name != "recipe.yaml"]  # its sections are in the scope
    digest = inputs_digest(cache, data_dir, before, home)
    if digest is None:
        return None
    return key(scope, "stage", digest, engine.partition_bytes, engine.threads, checks)


def restore_stage(name: str, ref: str, root: Path) -> bool:
    """`builder stage NAME RECIPE` (what `dvc repro` runs) for a stage the cache holds, as a
    forced `dvc repro` of an unchanged recipe meets it: its outputs put back from the files
    the compose stage wrote (`recipe.yaml`, `engine.yaml`, `inputs.yaml`) alone, without
    validating the recipe, starting the engine or importing the stage's libraries; the key is
    the one `run_stage` makes (`_entry_key`). False when the cache does not hold the stage
    or these files cannot say (the stage then runs as usual, with its messages)."""
    import yaml

    from builder.cache import open_cache, stage_scope
    from builder.engine.config import CacheConfig, EngineConfig, LocalClusterConfig
    from builder.stage_cache import restore_outputs

    stage = stage_named(name)
    folder = root / "data" / (Path(ref).stem if ref.endswith((".yaml", ".yml")) else ref)
    try:
        resolved = yaml.safe_load((folder / "recipe.yaml").read_text())
        engine = yaml.safe_load((folder / "engine.yaml").read_text())
        cluster = engine.get("local_cluster")
        engine = EngineConfig(**{**engine, "cache": CacheConfig(**engine["cache"]),
                                 "local_cluster": cluster and LocalClusterConfig(**cluster)})
        home = root / "data" / resolved["name"]
        if stage.reads is None:  # a source inputs.yaml cannot fingerprint is read again
            sources = (yaml.safe_load((folder / "inputs.yaml").read_text()) or {})["sources"]
            if not all(sources.get(source) for source in resolved["sources"]):
                return False
    except (OSError, yaml.YAMLError, TypeError, KeyError, AttributeError):
        return False
    cache = open_cache(home, root, engine.cache)
    if cache is None:
        return False
    scope = stage_scope(stage.name, {s: resolved.get(s) for s in stage.sections}, stage.code)
    entry_key = _entry_key(cache, stage, scope, resolved.get("checks"), engine, home, home)
    if entry_key is None:
        return False
    restored, _ = restore_outputs(cache, entry_key, home, stage_outputs(stage))
    if restored:
        cache.trim()
    return restored


def _sources_fingerprinted(ctx: Context) -> bool:
    """Whether `inputs.yaml` fingerprints every source (files, a Hub commit): one it cannot
    (an SQL database behind a URL) is read again every build."""
    from builder.fingerprints import read_inputs

    sources = read_inputs(ctx).get("sources", {})
    return all(sources.get(name) for name in ctx.recipe.sources)


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
        self.stages = self.bars.add_task(STAGES[0].name, total=len(STAGES))

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
          console: Any = None, wait: bool = True) -> Context:
    """Run every stage in order, as `dvc repro` would, without DVC; `progress` shows bars on
    stderr (or on `console`) when it is a terminal. The engine is started once for all stages;
    metrics files are written in the background (`artifacts.write_behind`), and the input files
    hashed for `inputs.yaml` while the ingest stage reads them. One build of a recipe runs at
    a time (`builder.lock`): another waits for it, or fails at once unless `wait`. Every stage
    writes into a staging folder (`_staged`), swapped in as `data/<recipe>/` once all are
    done: a build that fails or is killed leaves the previous build's outputs, all of them."""
    from builder import artifacts
    from builder.lock import build_lock
    from builder.recipe.compose import locate

    name = locate(ref, root).stem
    deferred: list[Callable[[], None]] = []
    with build_lock(root, name, wait), progress_display(progress, console) as display, \
            _staged(root / "data" / name) as staging:
        ctx: Context | None = None
        try:
            with artifacts.write_behind():
                started = time.perf_counter()
                ctx = compose_stage(ref, root, overrides, inputs_behind=True, staging=staging)
                ctx.progress = progress
                ctx.display = display
                ctx.timings[STAGES[0].name] = time.perf_counter() - started
                with _engine_for(ctx):
                    for stage in STAGES[1:]:
                        if display is not None:
                            display.stage_done()
                            display.stage(stage.name)
                        run_stage(stage.name, ctx, deferred)
                ctx.wait_for_inputs()
                if display is not None:
                    display.stage_done()
        except BaseException:
            if ctx is not None:  # inputs.yaml's thread: not into a staging folder being removed
                with contextlib.suppress(BaseException):
                    ctx.wait_for_inputs()
            raise
        _store_deferred(ctx, deferred)  # hard links to the staged files: they follow the swap
    ctx.staging = None
    ctx.display = None
    return ctx


@contextlib.contextmanager
def _staged(home: Path) -> Iterator[Path]:
    """A staging folder beside `home` (`data/.<recipe>.<pid>.<random>.tmp`, removed as a
    leftover once its process is gone), swapped in as `home` if the block succeeds, with what
    only `home` holds (caches, files other commands wrote) carried over. Its `.cache` links to
    `home/.cache` during the block, so caches stay where they are (fitted synthesizers, ...)."""
    from builder import artifacts

    (home / ".cache").mkdir(parents=True, exist_ok=True)
    with artifacts.atomic_dir(home, carry_over=True) as staging:
        _check_movable(home, staging)
        link = staging / ".cache"
        link.symlink_to((home / ".cache").absolute(), target_is_directory=True)
        yield staging
        link.unlink()  # the real one is carried over


def _check_movable(home: Path, staging: Path) -> None:
    """Fail before the stages run, not at the swap, where entries cannot move between `home`
    and its staging folder: a `home` that cannot be written (the OSError), or that is a mount
    point of its own."""
    import errno
    import os
    import tempfile

    from builder import artifacts
    from builder.errors import FlywheelError

    probe = home / ".publish-probe"
    artifacts.remove_leftovers(probe)  # a killed build's
    fd, name = tempfile.mkstemp(prefix=f".{probe.name}.{os.getpid()}.", suffix=".tmp", dir=home)
    os.close(fd)
    try:
        os.rename(name, staging / probe.name)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        raise FlywheelError(
            f"{os.path.relpath(home)}: a mount point of its own; `builder build` writes a "
            "recipe's outputs into a folder beside it and swaps it in, so expected it on the "
            "same mount as data/ (mount data/ itself instead), or run the stages with "
            "`dvc repro`.") from None
    finally:
        Path(name).unlink(missing_ok=True)
        (staging / probe.name).unlink(missing_ok=True)


def _store_deferred(ctx: Context, deferred: list[Callable[[], None]]) -> None:
    """The whole-stage cache entries of a build, once its files are all on disk."""
    for store in deferred:
        store()
    if ctx.cache is not None:
        ctx.cache.trim()
