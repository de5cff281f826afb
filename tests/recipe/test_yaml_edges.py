"""Hydra and YAML 1.1 edge cases (issue 20, item 7): booleans where words were meant, lists
where presets define mappings, override typos named as overrides."""

from __future__ import annotations

import re

import pytest

from builder.errors import FlywheelError, RecipeErrors
from builder.recipe.compose import load

HEAD = "defaults: [base, _self_]\nname: r\n"
TASK = "task: {type: tabular-classification, label: churn, classes: ['no', 'yes']}\n"
SOURCE = "sources:\n  s: {type: csv, path: d.csv}\n"


@pytest.fixture
def write(project):
    project.write("d.csv", "churn,x\nno,1\n")

    def recipe(text: str):
        project.recipe("r", HEAD + text)
        return project.root

    return recipe


@pytest.mark.parametrize("text, key, hint", [
    (TASK.replace("['no', 'yes']", "[no, yes]") + SOURCE,
     "task.classes[0]", "found false, expected a string. YAML 1.1 reads an unquoted yes, no, "
     "on, off, true or false as a boolean; quote it to mean the word: 'yes'."),
    (TASK + SOURCE.replace("d.csv}", "d.csv, label_map: {no: 'no', yes: 'yes'}}"),
     "sources.s.label_map.false", "is the boolean false, not a name: YAML 1.1 reads an unquoted "
     "no, off or false as one. Expected a name: quote it"),
    (TASK + SOURCE.replace("d.csv}", "d.csv, label_map: {n: no}}"),
     "sources.s.label_map.n", "found false, expected a string. YAML 1.1 reads"),
    (TASK + SOURCE + "balance: {target: {counts: {yes: 300, 'no': 300}}}\n",
     "balance.target.counts.true", "is the boolean true, not a name"),
    (TASK + SOURCE + "labeling:\n  functions:\n    f: {type: keyword, label: yes, words: [x]}\n",
     "labeling.functions.f.label", "found true, expected a string. YAML 1.1"),
])
def test_yaml_booleans_where_words_are_meant_suggest_quotes(write, text, key, hint) -> None:
    root = write(text)
    with pytest.raises(RecipeErrors, match=re.escape(f"recipes/r.yaml: {key}: {hint}")):
        load("r", root)


def test_quoted_words_pass(write) -> None:
    root = write(TASK + SOURCE.replace("d.csv}", "d.csv, label_map: {'n': 'no', 'y': 'yes'}}"))
    assert load("r", root).recipe.sources["s"].label_map == {"n": "no", "y": "yes"}


def test_a_list_where_a_preset_defines_a_mapping_names_the_key_and_preset(project) -> None:
    project.write("d.csv", "text,label\na,x\n")
    project.recipe("r", "defaults: [base, {transforms: text_cleanup}, _self_]\nname: r\n"
                        "task: {type: text-classification, text: text, classes: [x, y]}\n"
                        + SOURCE + "transforms:\n  - {type: dedup}\n")
    with pytest.raises(FlywheelError, match=re.escape(
            "recipes/r.yaml: transforms: found a list, but a preset "
            "(conf/transforms/text_cleanup.yaml) defines it as a mapping of names to mappings")):
        load("r", project.root)


@pytest.mark.parametrize("override, message", [
    ("split.fractions=[1,2]", "override 'split.fractions=[1,2]': split.fractions: found a list, "
     "but the recipe or its presets define it as a mapping of names to numbers"),
    ("task.classes={a: 1}", "override 'task.classes={a: 1}': task.classes: found a mapping, "
     "but the recipe or its presets define it as a list of strings"),
    ("transforms=[1,2]", "cannot be composed: "),
])
def test_override_shapes_are_named(write, override, message) -> None:
    root = write(TASK + SOURCE)
    with pytest.raises(FlywheelError, match=re.escape(message)):
        load("r", root, [override])


def test_an_override_typo_is_named_as_the_override(write) -> None:
    root = write(TASK + SOURCE)
    with pytest.raises(RecipeErrors, match=re.escape(
            "- override 'splt.seed=7': no key 'splt'; expected one of") + ".*"
            + re.escape("Did you mean 'split'?")):
        load("r", root, ["splt.seed=7"])
