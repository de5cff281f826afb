"""Reading and atomically writing stage artifacts under `data/<recipe>/`.

Every write goes to a temporary name beside its target and is renamed into place, so a failed or
killed stage leaves the previous artifact whole. Folders are swapped with one atomic
`renameat2(RENAME_EXCHANGE)` where the kernel offers it; `builder build` swaps in a whole
recipe folder that way (`atomic_dir(..., carry_over=True)`), so a build's outputs are published
together. Temporary names carry the writer's process id (`.<name>.<pid>.<random>.tmp`); the
next write of the same target removes what a killed writer left behind.

Inside `write_behind()` (what `builder build` uses), JSON artifacts are written by background
threads and renamed into place in the order they were written; reading an artifact written in
the block returns the data from memory instead of reading the file back. (Partitioned artifacts
are written by `builder.partitions`.)
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import glob
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

#: Background writers in `write_behind()`.
WRITER_THREADS = 2
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    fd, name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: Path, carry_over: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside `target`; swap it in if the block succeeds.

    `carry_over`: first move into it what the old `target` holds and the block did not write
    (a recipe folder's caches, files other commands wrote there), so that only what the block
    wrote is replaced, all at once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent))
    tmp.chmod(0o777 & ~_umask())
    try:
        yield tmp
        if carry_over:
            _carry_over(target, tmp)
        replace_dir(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _carry_over(old: Path, new: Path) -> None:
    """Move every entry of folder `old` that `new` lacks into `new` (renames: same file
    system); if one cannot move, those moved go back (`new` is about to be removed)."""
    if not old.is_dir():
        return
    moved: list[str] = []
    try:
        for entry in os.scandir(old):
            if not os.path.lexists(new / entry.name):
                os.rename(entry.path, new / entry.name)
                moved.append(entry.name)
    except OSError:
        for name in moved:
            os.rename(new / name, old / name)
        raise


@contextlib.contextmanager
def scratch_dir(target: Path) -> Iterator[Path]:
    """A temporary folder beside `target` for a stage's intermediate parts, removed at the end
    (a killed stage's is removed by the next write of `target`, like its other leftovers)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _temp_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def remove_leftovers(target: Path) -> list[Path]:
    """Remove the temporary files and folders that killed writers of `target` left beside it.

    A temporary name holds its writer's process id; those of live processes (a concurrent
    build) are left alone. Returns what was removed.
    """
    removed = []
    if not target.parent.is_dir():
        return removed
    for path in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = path.name[len(target.name) + 2:].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    recover_dir(target)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def write_json(data: Any, target: Path) -> None:
    """Write JSON with sorted keys so the same content gives the same bytes."""
    text = json.dumps(data, indent=2, sort_keys=True, default=_jsonable) + "\n"
    session = _session
    if session is None:
        _write_text(text, target)
    else:
        session.write(target, text, lambda tmp: tmp.write_text(text))


def _write_text(text: str, target: Path) -> None:
    with atomic_file(target) as tmp:
        tmp.write_text(text)


def read_json(path: Path) -> Any:
    """Read a JSON artifact, or {} when it does not exist yet."""
    pending = _session.pending(path) if _session is not None else None
    if pending is not None:
        return json.loads(pending)
    return json.loads(path.read_text()) if path.is_file() else {}


class WriteBehind:
    """Writes artifacts in background threads and serves pending ones from memory.

    Files are encoded in parallel but renamed into place in the order they were written, and
    after a failed write the later ones are dropped, so the files on disk are always what a
    build that stopped at some point would have left. The error is raised by the next `write`
    or by `close`.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=WRITER_THREADS,
                                        thread_name_prefix="artifact-writer")
        self._futures: list[Future] = []
        self._pending: dict[Path, Any] = {}
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._last_done = threading.Event()
        self._last_done.set()

    def write(self, target: Path, data: Any, write_to: Callable[[Path], None]) -> None:
        """Queue `write_to(temporary path)`, which writes `data`, for `target`; reads of
        `target` get `data` until the file is in place."""
        self._raise_error()
        with self._lock:
            self._pending[target] = data
        previous, done = self._last_done, threading.Event()
        self._last_done = done
        self._futures.append(self._pool.submit(self._run, target, data, write_to, previous, done))

    def pending(self, path: Path) -> Any:
        """The data queued for `path` and not yet on disk, or None; after a failed write,
        its error (the files on disk may be older than what the build has seen)."""
        self._raise_error()
        with self._lock:
            return self._pending.get(path)

    def _run(self, target: Path, data: Any, write_to: Callable[[Path], None],
             previous: threading.Event, done: threading.Event) -> None:
        try:
            if self._error is None:
                with atomic_file(target) as tmp:
                    write_to(tmp)
                    previous.wait()  # rename in the order of the writes
                    if self._error is not None:
                        raise _Dropped
        except _Dropped:
            pass
        except BaseException as error:
            self._error = self._error or error
            raise
        finally:
            with self._lock:
                if self._pending.get(target) is data:
                    del self._pending[target]
            done.set()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait for every queued write; raise the first error."""
        self._pool.shutdown(wait=True)
        self._raise_error()


class _Dropped(Exception):
    """A write after a failed one: its temporary file is removed, the target left alone."""


_session: WriteBehind | None = None


@contextlib.contextmanager
def write_behind() -> Iterator[WriteBehind]:
    """Within the block, write artifacts in the background (see `WriteBehind`); on leaving it,
    wait until every one is on disk. Not nested: an inner block joins the outer one."""
    global _session
    if _session is not None:
        yield _session
        return
    session = _session = WriteBehind()
    try:
        yield session
    except BaseException:
        _session = None
        with contextlib.suppress(BaseException):
            session.close()  # the writes of the stages that finished; the block's error wins
        raise
    _session = None
    session.close()


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
