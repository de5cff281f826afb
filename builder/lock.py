"""One build of a recipe at a time: an exclusive lock on `data/<recipe>/`.

Two builds of one recipe writing at once could leave `recipe.yaml` from one and the card,
dataset and metrics from the other. A build (and each `builder stage`) holds an advisory lock
(`fcntl.flock`) on `data/.locks/<recipe>.lock` from compose to export (beside the recipe's
folder, so that the folder holds only the build's outputs); a second build waits for it, saying
so, or fails at once with `--no-wait`. The operating system releases the lock when
the process ends, however it ends (a killed build leaves no stale lock). The lock file holds the
holder's pid, start time and command, for the message the next build shows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from builder.errors import FlywheelError

LOCK_FOLDER = ".locks"

#: Locks this process holds (path -> depth): a build's stages take the lock again.
_HELD: dict[Path, int] = {}


class BuildLocked(FlywheelError):
    """Another build of the recipe holds the lock and `--no-wait` was given."""


def lock_path(root: Path, recipe: str) -> Path:
    """The lock file of `data/<recipe>/` (git-ignored by `data/.gitignore`)."""
    return root / "data" / LOCK_FOLDER / f"{recipe}.lock"


def _holder(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError:
        return "another process"
    return text or "another process"


@contextlib.contextmanager
def build_lock(root: Path, recipe: str, wait: bool = True,
               say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock on `data/<recipe>/` for the block; wait for it (telling `say`) or, with
    `wait=False`, raise `BuildLocked` naming the build that holds it."""
    import fcntl

    path = lock_path(root, recipe).resolve()
    if path in _HELD:
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(path)
            if not wait:
                raise BuildLocked(
                    f"data/{recipe}/: another build of '{recipe}' is running ({holder}); "
                    "expected one build of a recipe at a time: wait for it, or run without "
                    "--no-wait to wait for it.") from None
            (say or _stderr)(f"waiting for another build of '{recipe}' to finish ({holder})...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        command = " ".join(["builder", *sys.argv[1:]])[:200]
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {started}: {command}\n".encode(), 0)
        _HELD[path] = 1
        try:
            yield
        finally:
            del _HELD[path]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
