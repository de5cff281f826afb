"""The `labeling.human` recipe section: defaults and errors that name the key."""

from __future__ import annotations

import pytest

from builder.errors import RecipeErrors
from builder.recipe.compose import load
from tests.labeling.human.conftest import SHOP_CSV, SHOP_RECIPE


def recipe_with(project, human: str) -> None:
    project.write("recipes/data/shop.csv", SHOP_CSV)
    project.recipe("shop", SHOP_RECIPE.replace("  unlabeled: keep",
                                               f"  unlabeled: keep\n  human: {human}"))


def test_defaults_store_under_labels(project) -> None:
    recipe_with(project, "{}")
    human = load("shop", project.root).recipe.labeling.human
    assert human.store_dir(project.root, "shop") == project.root / "labels" / "shop"
    assert (human.aggregate, human.min_agreement, human.on_low_agreement) == (
        "majority", None, "fail")
    assert (human.strategy, human.budget) == ("least_confident", 100)


def test_bad_values_are_named(project) -> None:
    recipe_with(project, "{min_agreement: 1.5, budget: 0, aggregate: dawid_skeen, "
                         "strategy: random, on_low_agreement: skip}")
    with pytest.raises(RecipeErrors) as error:
        load("shop", project.root)
    text = str(error.value)
    assert ("labeling.human.aggregate: found 'dawid_skeen', expected one of 'dawid_skene' or "
            "'majority'. Did you mean 'dawid_skene'?") in text
    assert "labeling.human.strategy: found 'random', expected one of 'audit', " in text
    assert ("labeling.human.on_low_agreement: found 'skip', expected one of 'drop' or "
            "'fail'.") in text


def test_range_checks(project) -> None:
    recipe_with(project, "{min_agreement: 1.5, budget: 0, instructions: ' '}")
    with pytest.raises(RecipeErrors) as error:
        load("shop", project.root)
    text = str(error.value)
    assert "labeling.human.min_agreement: found 1.5, expected a share in (0, 1]" in text
    assert "labeling.human.budget: found 0, expected at least 1 row per export." in text
    assert "labeling.human.instructions: is empty; expected the question annotators answer." in text


def test_a_custom_store_is_fingerprinted(project) -> None:
    from builder.pipeline import runner

    recipe_with(project, "{store: annotations/shop}")
    (project.root / "annotations" / "shop").mkdir(parents=True)
    (project.root / "annotations" / "shop" / "batch-0001-csv-00000000.jsonl").write_text("x\n")
    ctx = runner.compose_stage("shop", project.root)
    inputs = ctx.artifact("inputs.yaml").read_text()
    assert "annotations/shop/batch-0001-csv-00000000.jsonl" in inputs
