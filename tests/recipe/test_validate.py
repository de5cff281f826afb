"""Broken recipes: each one fails validation with a message naming the file, the key path, what
was found and what was expected. Nothing here reads data."""

from __future__ import annotations

import re

import pytest

from builder.errors import FlywheelError, RecipeErrors
from builder.recipe.compose import load

VALID = """
defaults: [base, _self_]
name: r
task: {type: text-classification, text: text, label: label, classes: [positive, negative]}
sources:
  shop: {type: csv, path: reviews.csv}
"""


def expect(*fragments: str) -> str:
    """A `match=` pattern: the literal fragments, in order, on one line."""
    return ".*".join(re.escape(f) for f in fragments)


@pytest.fixture
def write(project):
    """Write `recipes/r.yaml` (and the CSV its source names); return a loader for it."""
    project.write("reviews.csv", "text,label\ngreat,positive\n")

    def write_recipe(text: str, name: str = "r"):
        project.recipe(name, text)
        return lambda *overrides: load(name, project.root, overrides)

    return write_recipe


def test_the_valid_recipe_loads(write) -> None:
    recipe = write(VALID)().recipe
    assert recipe.name == "r"
    assert list(recipe.sources) == ["shop"]
    assert recipe.split.fractions == {"train": 0.8, "validation": 0.1, "test": 0.1}


# (id, recipe text, fragments the message must contain in order)
BROKEN = [
    ("unknown-top-level-key", VALID + "sed: 3\n",
     ["recipes/r.yaml: sed: is not a known key; expected one of 'balance', 'checks', 'engine', 'labeling', 'name'",
      "Did you mean 'seed'?"]),
    ("unknown-source-key", VALID.replace("path: reviews.csv", "path: reviews.csv, delimeter: ';'"),
     ["recipes/r.yaml: sources.shop.delimeter: is not a known key in sources.shop; expected "
      "one of 'cast', 'columns', 'delimiter'", "Did you mean 'delimiter'?"]),
    ("unknown-key-of-a-transform-type", VALID + "transforms:\n  d: {type: dedup, on: [text]}\n",
     ["recipes/r.yaml: transforms.d.True: is not a known key in transforms.d; expected one of "
      "'columns', 'keep' or 'type'. YAML reads an unquoted on, off, yes or no as true or false"]),
    ("seed-not-an-integer", VALID + "seed: forty-two\n",
     ["recipes/r.yaml: seed: found 'forty-two', expected an integer."]),
    ("classes-not-a-list", VALID.replace("[positive, negative]", "positive"),
     ["recipes/r.yaml: task.classes: found 'positive', expected a list of strings."]),
    ("stratify-not-a-bool", VALID + "split: {stratify: sometimes}\n",
     ["recipes/r.yaml: split.stratify: found 'sometimes', expected true or false."]),
    ("sources-a-list", VALID.split("sources:")[0] + "sources: [reviews.csv]\n",
     ["recipes/r.yaml: sources: found a list, expected a mapping of names to mappings."]),
    ("unknown-source-type", VALID.replace("type: csv", "type: cvs"),
     ["recipes/r.yaml: sources.shop.type: unknown source type 'cvs'; expected 'csv', "
      "'feedback', 'hf', 'image_manifest', 'imagefolder', 'jsonl', 'parquet' or 'sql'. Did you mean 'csv'?"]),
    ("unknown-transform-type",
     VALID + "transforms:\n  clean: {type: normalise_text, columns: [text]}\n",
     ["recipes/r.yaml: transforms.clean.type: unknown transform type 'normalise_text'; expected",
      "Did you mean 'normalize_text'?"]),
    ("unknown-task-type", VALID.replace("type: text-classification", "type: text-clasification"),
     ["recipes/r.yaml: task.type: found 'text-clasification', expected one of "
      "'image-classification', 'tabular-classification' or 'text-classification'. "
      "Did you mean 'text-classification'?"]),
    ("source-without-type", VALID.replace("type: csv, ", ""),
     ["recipes/r.yaml: sources.shop.type: is missing; expected a source type: 'csv', "
      "'feedback', 'hf'"]),
    ("missing-required-key", VALID.replace("path: reviews.csv", "delimiter: ','"),
     ["recipes/r.yaml: sources.shop.path: is missing; expected a string."]),
    ("missing-task", VALID.split("task:")[0] + "sources:" + VALID.split("sources:")[1],
     ["recipes/r.yaml: task: is missing; expected a mapping."]),
    ("missing-file", VALID.replace("path: reviews.csv", "path: data/reviews-*.csv"),
     ["recipes/r.yaml: sources.shop.path: no file matches 'data/reviews-*.csv'",
      "expected an existing file or a glob pattern that matches at least one."]),
    ("missing-sqlite-file",
     VALID + "  db: {type: sql, path: shop.sqlite, query: select * from reviews}\n",
     ["recipes/r.yaml: sources.db.path: found 'shop.sqlite', which does not exist; "
      "expected an SQLite file."]),
    ("sql-with-url-and-path",
     VALID + "  db: {type: sql, url: 'sqlite://', path: reviews.csv, query: select 1}\n",
     ["recipes/r.yaml: sources.db.url: expected exactly one of `url` (an SQLAlchemy URL) or "
      "`path` (SQLite)."]),
    ("hf-path-not-a-folder", VALID + "  hub: {type: hf, path: reviews.csv}\n",
     ["recipes/r.yaml: sources.hub.path: found 'reviews.csv', which is not a folder; expected "
      "a `save_to_disk` folder"]),
    ("fractions-not-summing-to-1", VALID + "split: {fractions: {train: 0.8, test: 0.3}}\n",
     ["recipes/r.yaml: split.fractions: found fractions summing to 1.2 "
      "(train 0.8 + validation 0.1 + test 0.3), expected 1.", "`validation: null`"]),
    ("no-train-split",
     VALID + "split: {fractions: {train: null, validation: 0.5, test: 0.5}}\n",
     ["recipes/r.yaml: split.fractions: found splits ['test', 'validation'], expected one "
      "named 'train'."]),
    ("fraction-out-of-range",
     VALID + "split: {fractions: {train: 1.5, validation: -0.4, test: -0.1}}\n",
     ["recipes/r.yaml: split.fractions.train: found 1.5, expected a fraction in (0, 1]."]),
    ("label-not-a-class",
     VALID.replace("path: reviews.csv", "path: reviews.csv, label_map: {'5': postive}"),
     ["recipes/r.yaml: sources.shop.label_map.5: found 'postive', expected a class of "
      "task.classes ('negative' or 'positive'). Did you mean 'positive'?"]),
    ("duplicate-yaml-key",
     VALID + "  shop: {type: csv, path: other.csv}\n",
     ["recipes/r.yaml: sources.shop: is defined twice (lines 5 and 6); expected each key once "
      "in a mapping"]),
    ("duplicate-class", VALID.replace("[positive, negative]", "[positive, negative, positive]"),
     ["recipes/r.yaml: task.classes: found the class 'positive' twice, expected unique names."]),
    ("two-columns-renamed-to-one",
     VALID.replace("path: reviews.csv", "path: reviews.csv, rename: {review: text, body: text}"),
     ["recipes/r.yaml: sources.shop.rename.body: renames to 'text' like 'review' does; "
      "expected distinct names."]),
    ("rename-transform-to-one-name",
     VALID + "transforms:\n  r: {type: rename, columns: {review: text, body: text}}\n",
     ["recipes/r.yaml: transforms.r.columns.body: renames to 'text' like 'review' does; "
      "expected distinct names."]),
    ("target-key",
     VALID.replace("type: csv", "_target_: builder.sources.csv.CsvSource"),
     ["recipes/r.yaml: sources.shop._target_: is not allowed in a recipe; use a `type:` key"]),
    ("name-differs-from-file", VALID.replace("name: r", "name: reviews"),
     ["recipes/r.yaml: name: found 'reviews', expected 'r', the file's name"]),
    ("invalid-yaml", VALID.replace("[positive, negative]}", "[positive, negative}"),
     ["recipes/r.yaml: is not valid YAML: line 3, column 89: expected ',' or ']', but got '}' "
      "(while parsing a flow sequence started at line 3)."]),
    ("missing-preset", VALID.replace("[base, _self_]", "[base, {transforms: text_cleanp}, _self_]"),
     ["recipes/r.yaml: defaults: found 'transforms/text_cleanp', which is not a preset; "
      "expected one of conf/transforms/: 'text_cleanup'. Did you mean 'text_cleanup'?"]),
    ("missing-base-preset", VALID.replace("[base, _self_]", "[bsae, _self_]"),
     ["recipes/r.yaml: defaults: found 'bsae', which is not a preset; expected one of conf/: "
      "'base'. Did you mean 'base'?"]),
    ("bad-filter-expression",
     VALID + "transforms:\n  short: {type: filter, query: 'len(text) >'}\n",
     ["recipes/r.yaml: transforms.short.query: found 'len(text) >', which is not a valid "
      "expression (invalid syntax at the end). Expected a pandas query expression."]),
    ("filter-with-local-variable",
     VALID + "transforms:\n  short: {type: filter, query: 'rating > @limit'}\n",
     ["recipes/r.yaml: transforms.short.query: found 'rating > @limit', which uses '@'"]),
    ("bad-cast-type",
     VALID.replace("path: reviews.csv", "path: reviews.csv, cast: {stars: integer}"),
     ["recipes/r.yaml: sources.shop.cast.stars: found 'integer', expected one of 'string', "
      "'int', 'float', 'bool', 'category', 'datetime'. Did you mean 'int'?"]),
    ("bad-cast-transform-type",
     VALID + "transforms:\n  types: {type: cast, columns: {when: date}}\n",
     ["recipes/r.yaml: transforms.types.columns.when: found 'date', expected one of"]),
    ("text-task-without-text", VALID.replace("text: text, ", ""),
     ["recipes/r.yaml: task.text: is missing; a text-classification task names its text column."]),
    ("label-among-features",
     VALID.replace("classes: [positive, negative]",
                   "classes: [positive, negative], features: [text, label]"),
     ["recipes/r.yaml: task.features[1]: found the label column 'label'; expected data columns "
      "only (the label is always published)."]),
    ("feature-twice", VALID.replace("classes: [positive, negative]",
                                    "classes: [positive, negative], features: [text, text]"),
     ["recipes/r.yaml: task.features[1]: found 'text' twice; expected each column once."]),
    ("one-class", VALID.replace("[positive, negative]", "[positive]"),
     ["recipes/r.yaml: task.classes: found 1 class(es), expected at least 2 names."]),
    ("drop-a-bookkeeping-column", VALID + "transforms:\n  d: {type: drop, columns: [_id]}\n",
     ["recipes/r.yaml: transforms.d.columns[0]: found '_id', a bookkeeping column every row "
      "keeps."]),
    ("missing-interpolated-key",
     VALID + "transforms:\n  n: {type: normalize_text, columns: ['${task.txt}']}\n",
     ["recipes/r.yaml: transforms.n.columns[0]: cannot be resolved: Interpolation key "
      "'task.txt' not found."]),
    ("defaults-not-a-list", VALID.replace("[base, _self_]", "base"),
     ["recipes/r.yaml: defaults: Invalid defaults list in 'r', defaults must be a list (got "
      "str). Expected a list of presets"]),
    ("task-null", VALID.replace("{type: text-classification, text: text, label: label, "
                                "classes: [positive, negative]}", "null"),
     ["recipes/r.yaml: task: found null, expected a mapping."]),
    ("top-level-list", "- name: r\n- seed: 1\n",
     ["recipes/r.yaml: cannot be composed: primary config 'r' must be a DictConfig, got "
      "ListConfig."]),
    ("no-sources", VALID.replace("{type: csv, path: reviews.csv}", "null"),
     ["recipes/r.yaml: sources: is empty; expected at least one source."]),
]


@pytest.mark.parametrize("text, fragments", [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_recipe_is_named_precisely(write, text: str, fragments: list[str]) -> None:
    loader = write(text)
    with pytest.raises(FlywheelError, match=expect(*fragments)):
        loader()


def test_there_are_at_least_15_distinct_broken_recipes() -> None:
    assert len({c[1] for c in BROKEN}) >= 15


def test_every_problem_is_reported_at_once(write) -> None:
    loader = write(VALID.replace("type: csv", "type: cvs") + "sed: 3\nseed: x\n")
    with pytest.raises(RecipeErrors, match=r"recipe is invalid \(3 errors\)") as caught:
        loader()
    assert [e.key for e in caught.value.errors] == ["sed", "seed", "sources.shop.type"]


def test_a_duplicate_key_in_a_preset_names_the_preset(write, project) -> None:
    project.write("conf/split/odd.yaml", "fractions:\n  train: 0.9\n  test: 0.1\n  train: 0.5\n")
    loader = write(VALID)
    with pytest.raises(RecipeErrors, match=expect(
            "conf/split/odd.yaml: fractions.train: is defined twice (lines 2 and 4)")):
        loader("split=odd")


def test_a_null_entry_removes_what_a_preset_defined(write) -> None:
    recipe = write(VALID.replace("[base, _self_]", "[base, {transforms: text_cleanup}, _self_]")
                   + "transforms:\n  dedup: null\n")().recipe
    assert list(recipe.transforms) == ["normalize", "drop_empty"]
    assert recipe.transforms["normalize"].columns == ["text"]
