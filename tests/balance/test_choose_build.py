"""`balance.strategy: auto` chooses by cross-validated efficacy in a real build (credit_data), an
explicit plan is scored next to auto's pick, a class too small to cross-validate falls back to
the rule-based planner, and impossible folds stop the build naming the key."""

from __future__ import annotations

import pytest

from builder import artifacts
from builder.pipeline import runner
from builder.errors import RecipeError
from builder.export.report import build_plots
from tests.conftest import run_cli
from tests.pipeline.test_augment import HOME_CLASSES, credit_recipe

#: Leaves 4 rows of Home 'ignore': too few for 3 folds of 2 rows each.
FEW_IGNORE = """
transforms:
  few: {type: filter, query: "Home != 'ignore' or Age < 30"}
"""


@pytest.mark.slow
def test_auto_picks_by_cross_validation_and_rebuilds_identically(project) -> None:
    name = credit_recipe(project, "balance: {target: balanced, strategy: auto}\n")
    ctx = runner.build(name, project.root, progress=False)
    metrics = artifacts.read_json(ctx.metrics_path("augment"))
    selection = metrics["balance"]["selection"]
    assert set(selection["candidates"]) == {"keep", "undersample", "oversample", "smote"}
    assert all(len(c["fold_scores"]) == 3 for c in selection["candidates"].values())
    assert selection["chosen_by"] == "auto" and selection["chosen"] == selection["auto_pick"]
    chosen = selection["candidates"][selection["chosen"]]
    for klass, plan in metrics["balance"]["classes"].items():
        assert plan["strategy"] == chosen["plan"][klass] and plan["chosen_by"] == "auto"
        assert plan["reason"].startswith("cross-validated balanced_accuracy")
    card = ctx.artifact("README.md").read_text()
    assert "### How the plan was chosen" in card and f"auto picked {selection['chosen']}" in card
    plots = {p.slug: p for p in build_plots(artifacts.read_json(ctx.artifact("metrics.json")),
                                            None, ["good", "bad"], None)}
    figure = plots["balance-selection"].figure
    assert list(figure.data[0].x) == list(selection["candidates"])  # the report's bar chart
    first = ctx.metrics_path("augment").read_bytes()
    assert any((ctx.data_dir / ".cache" / "balance").iterdir())
    runner.build(name, project.root, progress=False)  # from the score cache
    assert ctx.metrics_path("augment").read_bytes() == first


@pytest.mark.slow
def test_an_explicit_plan_is_obeyed_and_scored_next_to_auto(project) -> None:
    name = credit_recipe(project, """
        balance:
          target: balanced
          strategy: oversample
          select: {metric: f1_minority}
    """)
    ctx = runner.build(name, project.root, progress=False)
    balance = artifacts.read_json(ctx.metrics_path("augment"))["balance"]
    assert balance["classes"]["bad"]["strategy"] == "oversample"
    selection = balance["selection"]
    assert (selection["chosen"], selection["chosen_by"], selection["metric"]) == (
        "oversample", "recipe", "f1_minority")
    pick = selection["auto_pick"]
    assert pick in selection["candidates"]
    card = ctx.artifact("README.md").read_text()
    assert (f"The recipe's plan (oversample) scored "
            f"{selection['candidates']['oversample']['mean']:.3f} cross-validated f1_minority; "
            f"auto would have picked {pick}") in card


@pytest.mark.slow
def test_a_class_too_small_to_cross_validate_falls_back_to_the_planner(project) -> None:
    name = credit_recipe(project, FEW_IGNORE + "balance: {target: {min_per_class: 200}}\n",
                         label="Home", classes=HOME_CLASSES)
    ctx = runner.build(name, project.root, progress=False)
    balance = artifacts.read_json(ctx.metrics_path("augment"))["balance"]
    assert "class 'ignore' has" in balance["selection"]["fallback"]
    assert balance["classes"]["ignore"]["strategy"] == "oversample"  # the planner's rule
    assert balance["classes"]["ignore"]["reason"].startswith("only ")
    card = ctx.artifact("README.md").read_text()
    assert "Cross-validation was not possible: class 'ignore' has" in card


@pytest.mark.slow
def test_folds_above_the_smallest_class_stop_the_build_naming_the_key(project) -> None:
    name = credit_recipe(project, FEW_IGNORE + "balance: {target: {min_per_class: 200}, "
                         "select: {folds: 10}}\n", label="Home", classes=HOME_CLASSES)
    with pytest.raises(RecipeError, match=r"balance\.select\.folds: found 10, but class "
                                          r"'ignore' has \d train rows"):
        runner.build(name, project.root, progress=False)
    result = run_cli("build", name, "--quiet", cwd=project.root)
    assert result.returncode == 2 and "balance.select.folds" in result.stderr
    assert "Traceback" not in result.stderr
