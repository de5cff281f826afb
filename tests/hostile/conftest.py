"""Hostile input through the real command line: a tiny project and a runner that checks the
ending (exit 0, or exit 2 with a one-paragraph message and no traceback)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Project, run_cli

WORDS = ("good great fine bad awful dull plot story actor scene film movie long short "
         "funny boring moving slow fast").split()


def rows_csv(count: int = 80, seed: int = 0) -> str:
    """`text,label` rows in two classes, distinct texts."""
    rng = random.Random(seed)
    lines = ["text,label"]
    for i in range(count):
        words = " ".join(rng.choice(WORDS) for _ in range(6))
        lines.append(f"{words} {i},{'pos' if i % 2 else 'neg'}")
    return "\n".join(lines) + "\n"


TINY = """\
defaults: [base, _self_]
name: tiny
seed: 3
task: {type: text-classification, text: text, label: label, classes: [pos, neg]}
sources:
  shop: {type: csv, path: shop.csv}
split: {fractions: {train: 0.6, validation: 0.2, test: 0.2}}
"""


@dataclass
class Ending:
    """How a command ended."""

    code: int
    out: str
    err: str


@pytest.fixture
def tiny(project: Project) -> Project:
    """A project with `recipes/tiny.yaml` over 80 rows of `shop.csv`."""
    project.write("shop.csv", rows_csv())
    project.recipe("tiny", TINY)
    return project


def cli(root: Path, *args: str, env: dict[str, str] | None = None, code: int | None = None
        ) -> Ending:
    """Run the CLI; it must end in exit 0 or in exit 2 with `error: ...` and no traceback."""
    result = run_cli(*args, cwd=root, env=env)
    ending = Ending(result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 2), (result.returncode, result.stderr)
    if result.returncode == 2:
        assert result.stderr.startswith("error: "), result.stderr
    if code is not None:
        assert result.returncode == code, result.stderr
    return ending



def read_only_prefix(folders: list[Path]) -> list[str]:
    """A command prefix under which `folders` cannot be written: for a user, their mode is
    set to read-only; root ignores modes, so for root the command runs in its own mount
    namespace where they are read-only bind mounts (skipped where that is not allowed)."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0:
        for folder in folders:
            for path in [folder, *folder.rglob("*")]:
                if path.is_dir():
                    os.chmod(path, 0o555)
        return []
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root without mount namespaces: no way to make a folder "
                    "read-only for root")
    mounts = " && ".join(f'mount --bind -o ro "{f}" "{f}"' for f in folders)
    return ["unshare", "-m", "sh", "-c", f'{mounts} && exec "$@"', "sh"]


def with_file_size_limit(limit: int) -> dict:
    """`subprocess` options for a process whose writes past `limit` bytes per file fail with
    EFBIG, as on a full disk (SIGXFSZ ignored, so the write returns the error)."""
    import resource
    import signal

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return {"preexec_fn": limit_files}


def run_with(root: Path, prefix: list[str], options: dict, *args: str) -> Ending:
    """Run the CLI in `root` after a command `prefix` with `subprocess` `options`; it must end
    in exit 0 or in exit 2 without a traceback."""
    import subprocess
    import sys

    from tests.conftest import cli_env

    options = dict(options)
    env = options.pop("env", None) or cli_env()
    result = subprocess.run([*prefix, sys.executable, "-m", "builder", *args], cwd=root,
                            env=env, capture_output=True, text=True, **options)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 2), (result.returncode, result.stderr)
    return Ending(result.returncode, result.stdout, result.stderr)
