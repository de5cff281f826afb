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
