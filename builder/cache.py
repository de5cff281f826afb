"""The partition cache: row-wise work of a stage, keyed by what it was computed from.

A stage's row-wise work on one partition (reading and transforming a piece of a source, the
votes of a labeling function, ...) is determined by the partition's content, the stage's part
of the recipe and the code that runs it. The cache keeps each such result as an *entry* under
a key made of those three (`key`); a rebuild that meets the same key restores the entry (its
files and a small picklable value) instead of computing it again, so its cost follows what
changed, and its outputs are the bytes a build with an empty cache writes.

Entries live in `engine.cache.path` (default `data/<recipe>/.cache/partitions/`, outside every
DVC output), one folder each (`<key[:2]>/<key>/`: `meta.json`, `value.pkl`, the files), capped
at `engine.cache.max_size` with least-recently-used eviction (`trim`). An entry is written in a
temporary folder and renamed into place, so a reader (another build sharing the cache, a Dask
worker) sees a whole entry or none; every file's size and xxh3-128 checksum are checked when it
is restored, and a damaged entry is removed and recomputed. A cache that cannot be written (a
full or read-only disk, a path that is a file) is turned off for the process with one warning;
the build goes on without it.

Part of the kernel: nothing here imports a domain package.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Bumped when the entry layout changes: older entries are never read.
LAYOUT = 1
META = "meta.json"
VALUE = "value.pkl"
_CHUNK = 1 << 22
#: Temporary entries older than this are a killed writer's: `trim` removes them.
_STALE_SECONDS = 3600
#: Libraries whose versions can change the bytes a stage writes: part of every key.
_LIBRARIES = ("pyarrow", "pandas", "numpy", "datasets", "scikit-learn", "xxhash", "scipy",
              "imbalanced-learn", "sdv", "torch", "sentence-transformers", "Pillow", "ImageHash")

_warned: set[str] = set()
_warn_lock = threading.Lock()


def _hasher():
    import xxhash

    return xxhash.xxh3_128()


def digest_bytes(data: bytes | memoryview) -> str:
    """xxh3-128 of some bytes, as hex."""
    hasher = _hasher()
    hasher.update(data)
    return hasher.hexdigest()


def digest_file(path: Path) -> str:
    """xxh3-128 of a file's bytes (read in chunks: no whole file in memory)."""
    hasher = _hasher()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            hasher.update(block)
    return hasher.hexdigest()


def key(*parts: Any) -> str:
    """A cache key: the digest of `parts` written as canonical JSON (dicts by sorted keys)."""
    return digest_bytes(json.dumps(parts, sort_keys=True, default=str,
                                   separators=(",", ":")).encode())


def code_fingerprint(paths: tuple[str, ...], root: Path | None = None) -> str:
    """The digest of the code under `paths` (a stage's `Stage.code`, relative to `root`, the
    project that holds the `builder` package: every `.py` file, by path and bytes), the
    library versions that shape its outputs and the Python version."""
    return _code_fingerprint(tuple(paths), root or Path(__file__).resolve().parents[1])


@lru_cache(maxsize=None)
def _code_fingerprint(paths: tuple[str, ...], root: Path) -> str:
    from importlib import metadata

    hasher = _hasher()
    files: set[Path] = set()
    for relative in paths:
        path = root / relative
        if not path.exists():
            raise ValueError(f"code path {path} does not exist")
        files.update(path.rglob("*.py") if path.is_dir() else [path])
    for file in sorted(files):
        hasher.update(str(file.relative_to(root)).encode() + b"\0")
        hasher.update(file.read_bytes() + b"\0")
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=none")
    hasher.update(" ".join([*versions, sys.version]).encode())
    return hasher.hexdigest()


@dataclass
class Entry:
    """One entry read back: its value, and its files by name (restored by `restore`)."""

    cache: PartitionCache
    key: str
    folder: Path
    value: Any
    files: dict[str, list]  # name -> [size, checksum]

    def restore(self, name: str, target: Path) -> bool:
        """Put file `name` at `target` (linked, else copied, beside it and renamed), checking
        its size and checksum; False (and the entry removed) when it is damaged or gone."""
        size, checksum = self.files[name]
        writing = target.with_name(f".{target.name}.restoring")
        try:
            writing.unlink(missing_ok=True)
            _link_or_copy(self.folder / f"f.{name}", writing)
            if os.path.getsize(writing) != size or digest_file(writing) != checksum:
                raise ValueError("checksum")
        except (OSError, ValueError):
            writing.unlink(missing_ok=True)
            self.cache.discard(self.key)
            return False
        os.replace(writing, target)
        return True

    def restore_all(self, targets: dict[str, Path]) -> bool:
        """`restore` every file named in `targets`; False at the first damaged one."""
        return all(self.restore(name, target) for name, target in targets.items())


class PartitionCache:
    """A folder of entries; picklable (Dask workers open the same folder)."""

    def __init__(self, folder: Path, max_bytes: int):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.off = False

    # --- reading ---

    def get(self, entry_key: str) -> Entry | None:
        """The entry stored under `entry_key`, its value checked and unpickled, or None."""
        if self.off:
            return None
        folder = self._folder(entry_key)
        try:
            meta = json.loads((folder / META).read_text())
            if meta.get("layout") != LAYOUT or meta.get("key") != entry_key:
                raise ValueError("layout")
            data = (folder / VALUE).read_bytes()
            if [len(data), digest_bytes(data)] != meta["value"]:
                raise ValueError("checksum")
            value = pickle.loads(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, pickle.UnpicklingError, EOFError,
                AttributeError, ImportError):
            self.discard(entry_key)  # damaged or truncated: recomputed by the caller
            return None
        try:
            os.utime(folder / META)  # last use, for the LRU eviction
        except OSError:
            pass
        return Entry(self, entry_key, folder, value, meta["files"])

    # --- writing ---

    def put(self, entry_key: str, value: Any, files: dict[str, Path] | None = None,
            kind: str = "") -> None:
        """Store `value` and copies of `files` (name -> path) under `entry_key` (`kind`: what
        it holds, for `builder cache status`), atomically:
        built in a temporary folder and renamed into place (a concurrent writer of the same
        key wins, with the same content). Failures turn the cache off with one warning."""
        if self.off:
            return
        tmp = self.folder / ".tmp" / f"{entry_key}.{os.getpid()}.{uuid.uuid4().hex}"
        try:
            tmp.mkdir(parents=True)
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            (tmp / VALUE).write_bytes(data)
            listed = {}
            for name, path in (files or {}).items():
                _link_or_copy(Path(path), tmp / f"f.{name}")
                listed[name] = [os.path.getsize(tmp / f"f.{name}"), digest_file(tmp / f"f.{name}")]
            meta = {"layout": LAYOUT, "key": entry_key, "kind": kind,
                    "value": [len(data), digest_bytes(data)],
                    "files": listed, "bytes": len(data) + sum(s for s, _ in listed.values())}
            (tmp / META).write_text(json.dumps(meta))
            final = self._folder(entry_key)
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / META).is_file():
                    raise
        except OSError as error:
            self.turn_off(error)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def turn_off(self, error: BaseException) -> None:
        """Build on without the cache, saying so once per process and cache folder."""
        self.off = True
        with _warn_lock:
            if str(self.folder) in _warned:
                return
            _warned.add(str(self.folder))
        print(f"warning: the partition cache {self.folder} cannot be written ({error}); "
              "building without it (engine.cache.path sets another folder).", file=sys.stderr)

    def discard(self, entry_key: str) -> None:
        """Remove an entry (damaged, or evicted)."""
        folder = self._folder(entry_key)
        doomed = folder.with_name(f".{entry_key}.{os.getpid()}.{uuid.uuid4().hex}.gone")
        try:
            os.rename(folder, doomed)  # readers stop seeing it at once
        except OSError:
            return
        shutil.rmtree(doomed, ignore_errors=True)

    # --- size ---

    def entries(self, kinds: dict[str, list[int]] | None = None) -> list[tuple[float, int, str]]:
        """(last use, bytes, key) of every entry; `kinds` gathers [entries, bytes] per kind."""
        found = []
        try:
            shards = [p for p in os.scandir(self.folder) if p.is_dir() and len(p.name) == 2]
        except OSError:
            return []
        for shard in shards:
            for entry in os.scandir(shard.path):
                if entry.name.startswith("."):
                    continue
                try:
                    meta_path = os.path.join(entry.path, META)
                    used = os.stat(meta_path).st_mtime
                    meta = json.loads(Path(meta_path).read_text())
                    size = meta.get("bytes", 0)
                except (OSError, ValueError):
                    continue
                if kinds is not None:
                    counts = kinds.setdefault(meta.get("kind") or "other", [0, 0])
                    counts[0] += 1
                    counts[1] += size
                found.append((used, size, entry.name))
        return found

    def trim(self) -> int:
        """Evict the least recently used entries until the cache fits `max_bytes`; remove what
        killed writers (temporary entries) and cut-short removals left. Returns the bytes
        left."""
        if self.off:
            return 0
        entries = sorted(self.entries())
        total = sum(size for _, size, _ in entries)
        for _, size, entry_key in entries:
            if total <= self.max_bytes:
                break
            self.discard(entry_key)
            total -= size
        tmp = self.folder / ".tmp"
        leftovers = list(tmp.iterdir()) if tmp.is_dir() else []
        leftovers += list(self.folder.glob("*/.*.gone"))  # discarded, its removal cut short
        for leftover in leftovers:
            try:
                if time.time() - leftover.stat().st_mtime > _STALE_SECONDS:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass
        return total

    def clear(self) -> int:
        """Remove every entry; the bytes freed."""
        freed = sum(size for _, size, _ in self.entries())
        shutil.rmtree(self.folder, ignore_errors=True)
        return freed

    def _folder(self, entry_key: str) -> Path:
        return self.folder / entry_key[:2] / entry_key


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link (entries and outputs are only ever replaced, never written in place, and
    checksums catch any other change), else a copy (another filesystem)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def cache_folder(data_dir: Path, root: Path, path: str | None) -> Path:
    """Where a recipe's cache lives: `engine.cache.path` (relative to the project root), or
    `data/<recipe>/.cache/partitions`."""
    if path is None:
        return data_dir / ".cache" / "partitions"
    folder = Path(path)
    return folder if folder.is_absolute() else root / folder


def open_cache(data_dir: Path, root: Path, config: Any) -> PartitionCache | None:
    """The cache an engine config asks for (`engine.cache`), or None when it is turned off
    (`max_size: 0`)."""
    if config is None or config.max_bytes <= 0:
        return None
    return PartitionCache(cache_folder(data_dir, root, config.path), config.max_bytes)


def stage_scope(name: str, params: dict[str, Any], code: tuple[str, ...]) -> str:
    """A stage's part of its cache keys: its name, its sections of the resolved recipe (DVC
    `params`) and the fingerprint of its code (`Stage.code`, DVC code `deps`)."""
    return key(LAYOUT, name, params, code_fingerprint(tuple(code)))
