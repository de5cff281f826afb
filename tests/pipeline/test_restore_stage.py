"""`builder stage NAME` of a stage the cache holds (a forced `dvc repro` of an unchanged recipe,
issue 19 (b)): its outputs are put back from the compose stage's files alone, without
validating the recipe or importing the stage's libraries, byte for byte; what cannot be put
back that way runs as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder import cli
from builder.pipeline import STAGES, runner
from tests.conftest import cli_env
from tests.digests import output_digests
from tests.pipeline.test_incremental import RECIPE, write_log

DATA_STAGES = [stage.name for stage in STAGES[1:]]
#: What a restored stage must not import: the stages' libraries, Hydra, the other commands.
HEAVY = ("numpy", "pandas", "pyarrow", "datasets", "sklearn", "hydra", "omegaconf",
         "builder.sources", "builder.labeling", "builder.export.commands",
         "builder.publish.commands")
PROBE = f"""
import sys
from builder.cli import main
code = main(sys.argv[1:])
print("heavy:", *sorted(m for m in sys.modules if m.startswith({HEAVY!r})))
sys.exit(code)
"""


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file the build wrote under data/inc/."""
    return output_digests(root / "data" / "inc")


def stage(root: Path, name: str, *overrides: str) -> tuple[int, list[str], str]:
    """`builder stage NAME inc` in a fresh interpreter: exit code, heavy modules, stderr."""
    done = subprocess.run([sys.executable, "-c", PROBE, "stage", name, "inc", *overrides],
                          cwd=root, env=cli_env(), capture_output=True, text=True)
    heavy = done.stdout.rsplit("heavy:", 1)[-1].split() if "heavy:" in done.stdout else []
    return done.returncode, heavy, done.stderr


def remove_outputs(root: Path, name: str) -> None:
    """What `dvc repro` does before it runs a stage: its outputs removed."""
    import shutil

    for written in runner.stage_outputs(runner.stage_named(name)):
        path = root / "data" / "inc" / written
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


@pytest.fixture
def built(project) -> Path:
    """The incremental test recipe built once (`builder build`: every stage stored)."""
    (project.root / "logs").mkdir()
    write_log(project.root / "logs" / "a.jsonl", 0, 400)
    project.recipe("inc", RECIPE)
    assert cli.main(["build", "inc", "--quiet"]) == 0
    return project.root


@pytest.mark.slow
def test_each_stage_is_put_back_without_its_libraries_byte_for_byte(built: Path) -> None:
    first = digests(built)
    assert stage(built, "compose")[0] == 0  # as dvc repro runs it first
    for name in DATA_STAGES:
        remove_outputs(built, name)
        code, heavy, stderr = stage(built, name)
        assert code == 0, stderr
        assert heavy == [], f"{name} imported {heavy}"
    assert digests(built) == first


def test_the_fast_path_makes_the_keys_a_build_stored(built: Path) -> None:
    for name in DATA_STAGES:
        remove_outputs(built, name)
        assert runner.restore_stage(name, "inc", built), name


def test_a_stage_the_cache_does_not_hold_runs_as_usual(built: Path) -> None:
    log = built / "logs" / "a.jsonl"
    write_log(log, 400, 50)  # new rows: the ingest stage's inputs changed
    assert stage(built, "compose")[0] == 0
    assert not runner.restore_stage("ingest", "inc", built)
    code, heavy, stderr = stage(built, "ingest")
    assert code == 0, stderr
    assert "pyarrow" in heavy  # it ran
    metrics = json.loads((built / "data" / "inc" / "metrics" / "ingest.json").read_text())
    assert metrics["rows"] == 450


def test_without_the_compose_stage_files_the_stage_explains(project) -> None:
    project.recipe("inc", RECIPE)
    assert not runner.restore_stage("label", "inc", project.root)
    code, _, stderr = stage(project.root, "label")
    assert code == 2
    assert "data/inc/recipe.yaml: not found; run the compose stage first" in stderr


def test_a_stage_that_fails_its_checks_is_not_stored(built: Path) -> None:
    """Checks are not in any stage's sections: a restored stage skips them, so an entry is
    stored only once they passed, and the recipe's `checks` are part of its key."""
    assert stage(built, "compose", "checks.min_rows=100000")[0] == 0
    remove_outputs(built, "split")
    assert not runner.restore_stage("split", "inc", built)  # other checks: another key
    code, _, stderr = stage(built, "split")
    assert code == 2 and "checks.min_rows (100,000)" in stderr
    assert not runner.restore_stage("split", "inc", built)  # the failed run stored nothing
    assert stage(built, "compose")[0] == 0
    assert runner.restore_stage("split", "inc", built)  # the build's entry, its checks


def test_only_the_stage_command_skips_the_other_commands() -> None:
    assert cli.command_of(["stage", "label", "x"]) == "stage"
    assert cli.command_of(["--root", "stage", "build", "x"]) == "build"
    assert cli.command_of(["--debug", "--root=/x", "stage", "ingest", "x"]) == "stage"
    assert cli.command_of(["--help"]) is None
    assert cli.parse(["stage", "label", "x"]).name == "label"
    with pytest.raises(SystemExit):
        cli.parse(["stage", "nosuch", "x"])
