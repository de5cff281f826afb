"""The compose stage's outputs: the resolved recipe and the fingerprints of its inputs.

`recipe.yaml` holds the composed, validated recipe; `inputs.yaml` the sha256 of every file a
source reads and of the human label store. `dvc.yaml` lists sections of both as stage `params`,
so a stage re-runs exactly when its part of the recipe or its input files change.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder import artifacts

if TYPE_CHECKING:
    from builder.context import Context

RECIPE = "recipe.yaml"
INPUTS = "inputs.yaml"
#: The engine of the last compose: read by the other stages, but no DVC parameter (see
#: `builder.engine.config`).
ENGINE = "engine.yaml"
_HASH_CACHE = ".hashes.json"


def _relative(path: Path, root: Path) -> str:
    # As written first (a file under a symbolic link in the project, such as a shared .cache,
    # keeps its path in the project), then resolved.
    for file, folder in ((path, root), (path.resolve(), root.resolve())):
        try:
            return str(file.relative_to(folder))
        except ValueError:
            pass
    return str(path)


class HashCache:
    """sha256 of files, remembered by (size, mtime) so an unchanged file is not read twice."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, list] = artifacts.read_json(path)
        self.used: dict[str, list] = {}

    def sha256(self, file: Path) -> str:
        stat = file.stat()
        key = str(file.resolve())
        entry = self.entries.get(key)
        if entry is None or entry[:2] != [stat.st_size, stat.st_mtime_ns]:
            entry = [stat.st_size, stat.st_mtime_ns, artifacts.sha256_file(file)]
        self.used[key] = entry
        return entry[2]

    def save(self) -> None:
        if self.used != self.entries:
            artifacts.write_json(self.used, self.path)


def compute_inputs(ctx: Context) -> dict[str, Any]:
    """Fingerprints of the files behind each source, of `labels/<recipe>/` and of the files
    labeling functions read (lookup lists, python modules)."""
    cache = HashCache(ctx.home / _HASH_CACHE)  # a cache: not in a build's staging folder
    sources = {}
    for name, config in ctx.recipe.sources.items():
        files = config.input_files(ctx.root)
        sources[name] = {_relative(f, ctx.root): cache.sha256(f) for f in files}
        remote_inputs = getattr(config, "remote_inputs", None)  # e.g. a Hub source's commit id
        if remote_inputs is not None:
            sources[name].update(remote_inputs())
        folder_inputs = getattr(config, "folder_inputs", None)  # e.g. an image folder's digest
        if folder_inputs is not None:
            sources[name].update(folder_inputs(ctx.root))
    label_dir = ctx.recipe.labeling.human.store_dir(ctx.root, ctx.recipe.name)
    labels = {}
    if label_dir.is_dir():
        for file in sorted(p for p in label_dir.rglob("*") if p.is_file()):
            labels[_relative(file, ctx.root)] = cache.sha256(file)
    labeling = {_relative(f, ctx.root): cache.sha256(f)
                for f in ctx.recipe.labeling.input_files(ctx.root) if f.is_file()}
    cache.save()
    return {"sources": sources, "labels": labels, "labeling": labeling}


def write_resolved(ctx: Context, inputs_behind: bool = False) -> None:
    """Write `recipe.yaml` (every key, defaults included) and `inputs.yaml`, when they change.

    `inputs_behind`: hash the input files in a thread (`ctx.inputs_written`) while the caller
    goes on to read them; `read_inputs` waits for it (`builder build`, where the ingest stage
    follows at once: 0.1 s for a 93 MiB CSV)."""
    import yaml

    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    resolved = yaml.safe_dump(ctx.composed.resolved(), sort_keys=False)
    _write_if_changed(ctx.artifact(RECIPE), resolved)
    _write_if_changed(ctx.artifact(ENGINE), yaml.safe_dump(ctx.composed.engine(), sort_keys=True))
    if inputs_behind:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1, thread_name_prefix="inputs")
        ctx.inputs_written = pool.submit(write_inputs, ctx)
        pool.shutdown(wait=False)  # the thread ends with its task
        return
    write_inputs(ctx)


def write_inputs(ctx: Context) -> None:
    """Write `inputs.yaml`: the fingerprints of the recipe's inputs (`compute_inputs`)."""
    import yaml

    _write_if_changed(ctx.artifact(INPUTS), yaml.safe_dump(compute_inputs(ctx), sort_keys=True))


def _write_if_changed(target: Path, text: str) -> None:
    if target.is_file() and target.read_text() == text:
        return
    with artifacts.atomic_file(target) as tmp:
        tmp.write_text(text)


def read_inputs(ctx: Context) -> dict[str, Any]:
    """The fingerprints written by the compose stage ({} before it ran)."""
    import yaml

    ctx.wait_for_inputs()
    path = ctx.artifact(INPUTS)
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text()) or {}

