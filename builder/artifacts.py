"""Reading and atomically writing stage artifacts under `data/<recipe>/`.

Every write goes to a temporary name beside its target and is renamed into place, so a failed or
killed stage leaves the previous artifact whole. Folders are swapped with one atomic
`renameat2(RENAME_EXCHANGE)` where the kernel offers it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `target`; swap it in if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    tmp.chmod(0o777 & ~_umask())
    try:
        yield tmp
        replace_dir(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_dir(new: Path, target: Path) -> None:
    """Put folder `new` at `target`; the old content ends up at `new` (for the caller to drop)."""
    if not target.exists():
        os.replace(new, target)
        new.mkdir()
        return
    if _exchange(new, target):
        return
    # No atomic exchange (not Linux, or a file system without it): two renames, so a crash in
    # between leaves the previous folder at `<target>.previous`, where `recover_dir` finds it.
    previous = target.with_name(target.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    os.replace(target, previous)
    os.replace(new, target)
    os.replace(previous, new)


def recover_dir(target: Path) -> None:
    """Restore a folder that a crash left at `<target>.previous` by the fallback path."""
    previous = target.with_name(target.name + ".previous")
    if previous.exists() and not target.exists():
        os.replace(previous, target)


def _exchange(a: Path, b: Path) -> bool:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def write_parquet(df: pd.DataFrame, target: Path) -> None:
    """Write a frame as one parquet file, atomically, with stable bytes for the same data."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    with atomic_file(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_parquet(path: Path, stage: str | None = None) -> pd.DataFrame:
    """Read a stage artifact; a missing one names the stage that makes it."""
    from builder.errors import StageError

    if not path.is_file():
        hint = f" Run the {stage} stage first." if stage else ""
        raise StageError(f"{path}: not found.{hint}")
    from builder.columns import table_to_pandas

    return table_to_pandas(pq.read_table(path))


def write_json(data: Any, target: Path) -> None:
    """Write JSON with sorted keys so the same content gives the same bytes."""
    with atomic_file(target) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=_jsonable) + "\n")


def read_json(path: Path) -> Any:
    """Read a JSON artifact, or {} when it does not exist yet."""
    return json.loads(path.read_text()) if path.is_file() else {}


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
