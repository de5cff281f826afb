"""Whole stages in the partition cache (`builder.cache`): a stage whose scope (its recipe
sections and code) and inputs (`inputs.yaml` and every file the stages before it wrote) match
an earlier run puts back what that run wrote, instead of computing it (the runner decides,
`builder.pipeline.runner`). Each folder is swapped in whole, every file checked.

Part of the kernel: nothing here imports a domain package.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from builder.cache import PartitionCache, digest_bytes, digest_file, key


class FileDigests:
    """Digests of files, remembered by (size, mtime, inode) in the cache folder (`files.json`),
    so that unchanged inputs are not read again; files the write-behind session has not put
    on disk yet are digested from the data queued for them."""

    def __init__(self, cache: PartitionCache):
        self.path = cache.folder / "files.json"
        try:
            self.known: dict[str, list] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.known = {}

    def digest(self, path: Path, known_as: Path | None = None) -> str | None:
        """The digest of `path`, remembered under `known_as` (default: `path`)."""
        from builder import artifacts

        session = artifacts._session
        pending = session.pending(path) if session is not None else None
        if pending is not None:
            return digest_bytes(pending.encode() if isinstance(pending, str) else pending)
        try:
            stat = path.stat()
        except OSError:
            return None
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        known = self.known.get(str(known_as or path))
        if known is not None and known[:3] == signature:
            return known[3]
        found = digest_file(path)
        self.known[str(known_as or path)] = [*signature, found]
        return found

    def save(self) -> None:
        try:
            tmp = self.path.with_name(f".files.{os.getpid()}.{uuid.uuid4().hex}.tmp")
            tmp.write_text(json.dumps(self.known))
            os.replace(tmp, self.path)
        except OSError:
            pass


def tree(data_dir: Path, names: list[str]) -> list[str]:
    """The files under `data_dir` that `names` (files or folders) hold, relative, sorted;
    a folder's temporary leftovers (`*.tmp`) left out."""
    found = []
    for name in names:
        path = data_dir / name
        if path.is_dir():
            found += [str(p.relative_to(data_dir)) for p in sorted(path.rglob("*"))
                      if p.is_file() and not p.name.endswith(".tmp")]
        elif path.is_file():
            found.append(name)
    return found


def inputs_digest(cache: PartitionCache, data_dir: Path, names: list[str],
                  home: Path | None = None) -> str | None:
    """One digest of every file `names` hold under `data_dir` (None: one is missing);
    `home`: the folder `data_dir` is published as (a build's staging folder is swapped in as
    `data/<recipe>/`), whose paths the digests are remembered under."""
    digests = FileDigests(cache)
    listed = {}
    for relative in tree(data_dir, names):
        digest = digests.digest(data_dir / relative, (home or data_dir) / relative)
        if digest is None:
            return None
        listed[relative] = digest
    for name in names:  # a file queued by the write-behind session (maybe on disk since)
        if name not in listed and not (data_dir / name).is_dir():
            digest = digests.digest(data_dir / name, (home or data_dir) / name)
            if digest is not None:
                listed[name] = digest
    digests.save()
    return key(sorted(listed.items()))


def store_outputs(cache: PartitionCache, entry_key: str, data_dir: Path, names: list[str],
                  value: Any) -> None:
    """Keep what a stage wrote (`names`: its files and folders under `data_dir`) and its
    result under `entry_key`."""
    files = tree(data_dir, names)
    dirs = sorted({str(p.relative_to(data_dir)) for name in names if (data_dir / name).is_dir()
                   for p in [data_dir / name, *(data_dir / name).rglob("*")] if p.is_dir()})
    cache.put(entry_key, {"result": value, "files": files, "dirs": dirs},
              {str(i): data_dir / f for i, f in enumerate(files)}, kind="whole stages")


def restore_outputs(cache: PartitionCache, entry_key: str, data_dir: Path,
                    names: list[str]) -> tuple[bool, Any]:
    """Put back what a stage wrote, each of `names` atomically (a folder swapped in whole);
    (False, None) when the cache does not hold it whole."""
    from builder import artifacts

    entry = cache.get(entry_key)
    if entry is None:
        return False, None
    files, dirs = entry.value["files"], set(entry.value["dirs"])

    def put_back(i: int, target: Path) -> None:
        if not entry.restore(str(i), target):
            raise _Damaged  # leaves the block without swapping a partial folder in

    try:
        for name in names:
            if name in dirs:
                with artifacts.atomic_dir(data_dir / name) as tmp:
                    for sub in sorted(d for d in dirs if d.startswith(name + "/")):
                        (tmp / sub[len(name) + 1:]).mkdir(parents=True, exist_ok=True)
                    for i, relative in enumerate(files):
                        if relative.startswith(name + "/"):
                            put_back(i, tmp / relative[len(name) + 1:])
            elif name in files:
                with artifacts.atomic_file(data_dir / name) as tmp:
                    put_back(files.index(name), tmp)
    except _Damaged:
        return False, None
    return True, entry.value["result"]


class _Damaged(Exception):
    """A file of a whole-stage entry failed its checksum."""
