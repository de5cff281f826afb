"""`checks:`: a step that drops more than `max_drop` of its rows, or a split with fewer than
`min_rows`, fails the build naming the step or split and the key to change (issue 20, item 2)."""

from __future__ import annotations

import re

import pytest

from builder import checks
from builder.errors import RecipeErrors, StageError
from builder.recipe.compose import load

RECIPE = ("defaults: [base, _self_]\nname: r\n"
          "task: {type: tabular-classification, label: y, classes: [a, b]}\n"
          "sources:\n  s: {type: csv, path: d.csv}\n"
          "transforms:\n  adults: {type: filter, query: 'x > 1'}\n")
INGEST = {"sources": {"s": {"type": "csv", "rows": 800}},
          "steps": [{"name": "adults", "type": "filter", "rows_in": 800, "rows_out": 50}]}


@pytest.fixture
def recipe(project):
    project.write("d.csv", "x,y\n1,a\n")

    def make(extra: str = "", overrides=()):
        project.recipe("r", RECIPE + extra)
        return load("r", project.root, overrides).recipe

    return make


def test_a_transform_dropping_most_rows_fails_naming_it_and_the_key(recipe) -> None:
    with pytest.raises(StageError, match=re.escape(
            "step 'adults' dropped 750 of 800 rows (94%): a filter transform, more than "
            "checks.max_drop allows (90%). Check transforms.adults; if the recipe means it, set "
            "checks.max_drop.adults")):
        checks.check_ingest(INGEST, recipe())
    checks.check_ingest(INGEST, recipe("checks: {max_drop: {adults: 0.95}}\n"))
    checks.check_ingest(INGEST, recipe("checks: {max_drop: 1}\n"))


def test_all_labels_missing_fails_unless_expected(recipe) -> None:
    label = {"rows_in": 800, "rows_out": 0, "unlabeled_dropped": 800}
    with pytest.raises(StageError, match=re.escape(
            "step 'label' dropped 800 of 800 rows (100%): 800 rows had no label (no value in "
            "'y' and no labeling function, feedback or human label) under labeling.unlabeled: "
            "drop")):
        checks.check_label(label, recipe())
    checks.check_label(label, recipe("checks: {max_drop: {label: 1.0}}\n"))


def test_a_feedback_log_without_consent_names_the_consent_field(recipe) -> None:
    ingest = {"sources": {"s": {"type": "feedback", "records": 620, "rows": 10,
                                "without_consent": 600, "outside_window": 10}}, "steps": []}
    with pytest.raises(StageError, match=re.escape(
            "step 's' dropped 610 of 620 rows (98%): 600 without consent, 10 outside window, "
            "more than checks.max_drop allows (90%). Check sources.s.consent_field")):
        checks.check_ingest(ingest, recipe())


def test_an_empty_or_small_split_fails_naming_it(recipe) -> None:
    with pytest.raises(StageError, match=re.escape(
            "split 'test' has 0 rows of 90, fewer than checks.min_rows (1); an empty split "
            "makes a Hub folder load_dataset cannot read.")):
        checks.check_splits({"train": 80, "validation": 10, "test": 0}, recipe())
    with pytest.raises(StageError, match="split 'validation' has 10 rows of 90, fewer than "
                                         r"checks.min_rows \(20\)\. "):
        checks.check_splits({"train": 80, "validation": 10, "test": 0},
                            recipe("checks: {min_rows: {validation: 20}}\n"))


def test_notable_drops_are_those_over_half(recipe) -> None:
    metrics = {"ingest": INGEST, "label": {"rows_in": 50, "rows_out": 40}}
    assert [d.step for d in checks.notable_drops(metrics, recipe())] == ["adults"]


@pytest.mark.parametrize("extra, message", [
    ("checks: {min_rows: {tset: 5}}\n", "checks.min_rows.tset: found the split 'tset', expected "
     "one of split.fractions: 'test', 'train' or 'validation'. Did you mean 'test'?"),
    ("checks: {min_rows: 0}\n", "checks.min_rows: found 0, expected at least 1"),
    ("checks: {max_drop: {labl: 1}}\n", "checks.max_drop.labl: found the step 'labl', expected "
     "a source, a transform or 'label': 'adults', 'label' or 's'. Did you mean 'label'?"),
    ("checks: {max_drop: 1.5}\n", "checks.max_drop: found 1.5, expected a share"),
])
def test_bad_checks_are_recipe_errors(recipe, extra, message) -> None:
    with pytest.raises(RecipeErrors, match=re.escape(message)):
        recipe(extra)
