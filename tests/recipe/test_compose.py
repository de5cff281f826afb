"""Composition: presets from conf/, Hydra overrides, locating recipes, the resolved recipe."""

from __future__ import annotations

import re

import pytest

from builder.errors import FlywheelError, RecipeErrors
from builder.recipe.compose import (
    duplicate_keys,
    load,
    load_resolved,
    locate,
    prepare_overrides,
)

RECIPE = """
defaults: [base, {transforms: text_cleanup}, _self_]
name: r
seed: 3
task: {type: text-classification, text: body, label: label, classes: [positive, negative]}
sources:
  shop: {type: csv, path: reviews.csv}
"""


@pytest.fixture
def recipe_file(project):
    project.write("reviews.csv", "body,label\ngreat,positive\n")
    return project.recipe("r", RECIPE)


def test_presets_fill_in_defaults_and_interpolate_the_text_column(project, recipe_file) -> None:
    recipe = load("r", project.root).recipe
    assert recipe.seed == 3
    assert recipe.split.fractions == {"train": 0.8, "validation": 0.1, "test": 0.1}
    assert recipe.split.seed is None and recipe.split_seed == 3
    assert list(recipe.transforms) == ["normalize", "drop_empty", "dedup"]
    assert recipe.transforms["normalize"].columns == ["body"]
    assert recipe.labeling.unlabeled == "drop"


def test_value_overrides_set_keys_no_file_mentions(project, recipe_file) -> None:
    recipe = load("r", project.root, ["split.seed=7", "labeling.unlabeled=keep",
                                      "task.classes=[positive,negative,mixed]",
                                      "publish.repo_id=acme/reviews"]).recipe
    assert recipe.split.seed == 7 and recipe.split_seed == 7
    assert recipe.labeling.unlabeled == "keep"
    assert recipe.task.classes == ["positive", "negative", "mixed"]
    assert recipe.publish.repo_id == "acme/reviews"


def test_group_override_picks_another_preset(project, recipe_file) -> None:
    recipe = load("r", project.root, ["split=train_test"]).recipe
    assert recipe.split.fractions == {"train": 0.9, "test": 0.1}


def test_delete_override_removes_a_preset_transform(project, recipe_file) -> None:
    recipe = load("r", project.root, ["~transforms.dedup"]).recipe
    assert list(recipe.transforms) == ["normalize", "drop_empty"]


def test_prepare_overrides_force_adds_values_but_not_groups(project, recipe_file) -> None:
    prepared = prepare_overrides(
        ["split.seed=7", "split=train_test", "+extra=1", "~transforms.dedup", "++seed=2"],
        recipe_file, project.root)
    assert prepared == ["++split.seed=7", "split=train_test", "+extra=1", "~transforms.dedup",
                        "++seed=2"]


@pytest.mark.parametrize("overrides, message", [
    (["split.sed=7"],
     "override 'split.sed=7': no key 'sed' in split; expected one of 'fractions', "
     "'group', 'seed' or 'stratify'. Did you mean 'seed'?"),
    (["splt.seed=7"],
     "override 'splt.seed=7': no key 'splt'; expected one of 'balance', 'checks', 'engine', "),
    (["split.seed=seven"],
     "recipes/r.yaml: split.seed: found 'seven', expected an integer. It comes from the "
     "override 'split.seed=seven'."),
    (["sources.shop.type=tsv"],
     "recipes/r.yaml: sources.shop.type: unknown source type 'tsv'; expected 'csv', 'feedback', "
     "'hf', 'image_manifest', 'imagefolder', 'jsonl', 'parquet' or 'sql'. Did you mean 'csv'? It comes from the override "
     "'sources.shop.type=tsv'."),
    (["name=other"],
     "recipes/r.yaml: name: found 'other', expected 'r', the file's name"),
])
def test_bad_value_override_is_named(project, recipe_file, overrides, message) -> None:
    with pytest.raises(RecipeErrors, match=re.escape(message)):
        load("r", project.root, overrides)


def test_override_with_bad_syntax(project, recipe_file) -> None:
    with pytest.raises(FlywheelError, match=re.escape(
            "recipes/r.yaml: override 'split.seed=[': is not a valid override (no viable "
            "alternative at input '['); expected key=value (split.seed=7, task.classes=[a,b]) "
            "or group=preset (split=train_test).")):
        load("r", project.root, ["split.seed=["])


def test_override_naming_a_missing_preset(project, recipe_file) -> None:
    with pytest.raises(FlywheelError, match=re.escape(
            "recipes/r.yaml: override 'split=train_tset': found 'split/train_tset', which is "
            "not a preset; expected one of conf/split/: 'train_test' or 'train_validation_test'. "
            "Did you mean 'train_test'?")):
        load("r", project.root, ["split=train_tset"])


def test_group_override_for_a_group_the_recipe_does_not_use(project) -> None:
    project.write("reviews.csv", "body,label\ngreat,positive\n")
    project.recipe("r", RECIPE.replace(", {transforms: text_cleanup}", ""))
    with pytest.raises(FlywheelError, match=re.escape(
            "recipes/r.yaml: cannot be composed: Could not override 'transforms'. No match in "
            "the defaults list. To append to your default list use +transforms=text_cleanup.")):
        load("r", project.root, ["transforms=text_cleanup"])


def test_locate_by_name_by_path_and_not_found(project, recipe_file) -> None:
    assert locate("r", project.root) == recipe_file.resolve()
    assert locate("recipes/r.yaml", project.root) == recipe_file.resolve()
    assert locate(str(recipe_file), project.root) == recipe_file.resolve()
    with pytest.raises(FlywheelError, match=re.escape(
            "recipes/q.yaml: recipe not found; expected a file, or the name of one of "
            "recipes/*.yaml (r).")):
        locate("q", project.root)
    with pytest.raises(FlywheelError, match=re.escape("(r). Did you mean 'r'?")):
        locate("rr", project.root)


def test_resolved_recipe_round_trips(project, recipe_file) -> None:
    import yaml

    composed = load("r", project.root, ["split.seed=7"])
    resolved = composed.resolved()
    assert resolved["split"] == {"fractions": {"train": 0.8, "validation": 0.1, "test": 0.1},
                                 "stratify": True, "group": None, "seed": 7}
    assert resolved["sources"]["shop"]["delimiter"] == ","  # a type's default is written out
    path = project.data("r") / "recipe.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(resolved, sort_keys=False))
    again = load_resolved(path, project.root)
    assert again.recipe == composed.recipe


def test_resolved_recipe_missing_names_the_compose_stage(project) -> None:
    with pytest.raises(FlywheelError, match=re.escape(
            "data/r/recipe.yaml: not found; run the compose stage first "
            "(`builder stage compose r` or `dvc repro`).")):
        load_resolved(project.data("r") / "recipe.yaml", project.root)


def test_duplicate_keys_are_found_at_any_depth() -> None:
    text = "a: 1\nb:\n  c: 1\n  d: [{e: 1, e: 2}]\n  c: 2\na: 3\n"
    assert duplicate_keys(text) == [("b.d[0].e", 4, 4), ("b.c", 3, 5), ("a", 1, 6)]
    assert duplicate_keys("a: [") == []
