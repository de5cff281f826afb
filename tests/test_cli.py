"""The command line in a subprocess: exit codes, messages on stderr, overrides, the summary."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

from rich.console import Console

from builder.pipeline import runner
from tests.conftest import REPO, cli_env, run_cli

BROKEN = """
defaults: [base, _self_]
name: broken
task: {type: text-classification, text: text, label: label, classes: [fresh, rotten]}
sources:
  shop: {type: cvs, path: recipes/data/rotten_tomatoes.csv.bz2}
"""


def test_validate_ok(example_project) -> None:
    result = run_cli("validate", "reviews", cwd=example_project.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("recipes/reviews.yaml: ok (2 sources, 3 transforms, splits train, "
                             "validation, test)\n")


def test_broken_recipe_exits_2_with_the_message_and_no_traceback(example_project) -> None:
    example_project.recipe("broken", BROKEN)
    result = run_cli("validate", "broken", cwd=example_project.root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: recipe is invalid (1 error):\n- recipes/broken.yaml: sources.shop.type: unknown "
        "source type 'cvs'; expected 'csv', 'feedback', 'hf', 'image_manifest', 'imagefolder', "
        "'jsonl', 'parquet' or 'sql'. Did you mean 'csv'?\n")


def test_debug_shows_the_traceback(example_project) -> None:
    example_project.recipe("broken", BROKEN)
    result = run_cli("--debug", "validate", "broken", cwd=example_project.root)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "builder.errors.RecipeErrors: recipe is invalid (1 error)" in result.stderr


def test_bad_override_and_missing_recipe_exit_2(example_project) -> None:
    result = run_cli("validate", "reviews", "split.sed=7", cwd=example_project.root)
    assert result.returncode == 2
    assert "- override 'split.sed=7': no key 'sed' in split; expected one of" in result.stderr
    assert "Did you mean 'seed'?" in result.stderr
    result = run_cli("build", "reviewz", cwd=example_project.root)
    assert result.returncode == 2
    assert re.search(r"recipes/reviewz\.yaml: recipe not found; .*Did you mean 'reviews'\?",
                     result.stderr)
    assert "Traceback" not in result.stderr


def test_data_error_during_a_build_exits_2_naming_the_source(example_project) -> None:
    example_project.recipe("broken", BROKEN.replace("cvs", "csv").replace(
        "rotten_tomatoes.csv.bz2}", "rotten_tomatoes.csv.bz2, key: [review_id]}"))
    result = run_cli("build", "broken", cwd=example_project.root)
    assert result.returncode == 2
    assert result.stderr.startswith("error: recipe is invalid (")
    assert ("- recipes/broken.yaml: sources.shop.key[0]: found 'review_id', which is not a "
            "column of source 'shop'") in result.stderr
    assert "Traceback" not in result.stderr


def test_stage_refuses_overrides_except_compose(example_project) -> None:
    result = run_cli("stage", "split", "reviews", "split.seed=7", cwd=example_project.root)
    assert result.returncode == 2
    assert result.stderr == (
        "error: stage split: overrides apply when a recipe is composed; pass them to `builder "
        "stage compose` or `builder build`.\n")


HEAVY = ("sdv", "torch", "sklearn", "datasets", "huggingface_hub")
PROBE = f"""
import sys
from builder.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("heavy:", *sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})))
"""


def imported_heavy_modules(*args: str, cwd) -> list[str]:
    """Run the CLI in a fresh interpreter; return which heavy packages it imported."""
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=cli_env(),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.rsplit("heavy:", 1)[1].split()


def test_help_and_validate_import_nothing_heavy(example_project) -> None:
    assert imported_heavy_modules("--help", cwd=example_project.root) == []
    assert imported_heavy_modules("validate", "reviews", "split.seed=7",
                                  cwd=example_project.root) == []
    # The probe itself can see a heavy import: `build` does import datasets.
    assert "datasets" in imported_heavy_modules("build", "credit", "--quiet",
                                                cwd=example_project.root)


def test_build_with_overrides_ends_with_the_summary(example_project) -> None:
    result = run_cli("build", "reviews", "split.seed=7", cwd=example_project.root, check=True)
    assert result.stderr == ""  # not a terminal: no progress bar
    metrics = json.loads((example_project.data("reviews") / "metrics.json").read_text())
    assert metrics["split"]["seed"] == 7
    out = result.stdout
    assert "reviews: rows per stage" in out and "rows per split and class" in out
    assert re.search(r"│ ingest +│ +%d │" % metrics["ingest"]["rows"], out)
    for step in metrics["ingest"]["steps"]:
        assert re.search(r"│ +%s \(%s\) +│ +%d -> %d │" % (
            step["name"], step["type"], step["rows_in"], step["rows_out"]), out)
    for split, counts in metrics["export"]["classes_per_split"].items():
        cells = [split, str(sum(counts.values()))] + [str(counts[c]) for c in
                                                      ("fresh", "rotten", "plot")]
        assert re.search(r"│ " + r" +│ +".join(cells) + r" │", out), split


def test_group_override_changes_the_splits(example_project) -> None:
    run_cli("build", "credit", "split=train_test", "--quiet", cwd=example_project.root,
            check=True)
    dataset = example_project.data("credit") / "dataset"
    assert json.loads((dataset / "dataset_dict.json").read_text()) == {"splits": ["train",
                                                                                   "test"]}


def test_progress_bars_on_a_terminal(example_project) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    runner.build("credit", example_project.root, console=console)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    assert "export" in shown and "6/6" in shown
    quiet = io.StringIO()
    runner.build("credit", example_project.root, progress=False,
                 console=Console(file=quiet, force_terminal=True))
    assert quiet.getvalue() == ""


def test_repository_recipes_validate_through_the_cli() -> None:
    for recipe in sorted((REPO / "recipes").glob("*.yaml")):
        assert run_cli("validate", recipe.stem, cwd=REPO).returncode == 0
