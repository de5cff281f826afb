"""`dvc.yaml` follows `builder.pipeline.STAGES`: stage names and order, `params` sections, the
artifact each stage reads, its outputs, and code `deps` that cover everything its run can
execute (its import closure in `builder/`, function-level imports included)."""

from __future__ import annotations

import yaml

from builder.pipeline import STAGES
from tests.conftest import REPO
from tests.import_graph import code_closure, module_files

DATA = "data/${item}/"


def dvc_stages() -> dict:
    return yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


def uncovered(module: str, code: tuple[str, ...]) -> list[str]:
    """The files of `module`'s closure that no entry of `code` (a file or a folder) covers."""
    paths = module_files()
    files = sorted(str(paths[m].relative_to(REPO)) for m in code_closure(module))
    return [f for f in files if not any(f == c or f.startswith(c.rstrip("/") + "/") for c in code)]


def test_stage_names_and_order_are_those_of_the_pipeline() -> None:
    assert list(dvc_stages()) == [stage.name for stage in STAGES]


def test_each_stage_runs_its_builder_stage_command() -> None:
    for stage in STAGES:
        assert dvc_stages()[stage.name]["do"]["cmd"] == f"python -m builder stage {stage.name} ${{item}}"


def test_params_are_the_recipe_sections_each_stage_declares() -> None:
    for stage in STAGES:
        params = dvc_stages()[stage.name]["do"].get("params", [])
        recipe = [entry[DATA + "recipe.yaml"] for entry in params if DATA + "recipe.yaml" in entry]
        assert recipe == ([list(stage.sections)] if stage.sections else []), stage.name


def test_deps_name_the_artifact_read_and_outs_what_is_written() -> None:
    by_name = {stage.name: stage for stage in STAGES}
    for stage in STAGES:
        declared = dvc_stages()[stage.name]["do"]
        deps = [d for d in declared.get("deps", []) if d.startswith(DATA)]
        if stage.reads is not None:
            assert DATA + by_name[stage.reads].artifact in deps, stage.name
        outs = [next(iter(o)) if isinstance(o, dict) else o for o in declared["outs"]]
        assert outs == [DATA + w for w in stage.writes], stage.name


def test_code_deps_are_the_code_each_stage_declares() -> None:
    for stage in STAGES:
        deps = dvc_stages()[stage.name]["do"].get("deps", [])
        assert [d for d in deps if d.startswith("builder")] == list(stage.code), stage.name


def test_code_deps_cover_what_each_stage_can_run() -> None:
    files = {str(path.relative_to(REPO)) for path in module_files().values()}
    for stage in STAGES:
        assert all(c in files or any(f.startswith(c + "/") for f in files) for c in stage.code), \
            f"{stage.name}: a code path that does not exist"
        assert uncovered(f"builder.pipeline.{stage.name}", stage.code) == [], stage.name


def test_the_closure_sees_what_the_card_imports() -> None:
    """The export stage's deps before `STAGES` existed left out what the card imports, so an
    edit to those files left README.md stale after `dvc repro`."""
    old = ("builder/export", "builder/balance/card.py", "builder/synthetic/card.py")
    missing = uncovered("builder.pipeline.export", old)
    assert {"builder/labeling/card.py", "builder/labeling/human/card.py",
            "builder/markdown.py"} <= set(missing)
