"""Every column a recipe names is checked against the sources' column names before any row
is read (issue 20, item 1)."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from builder.errors import DataError, RecipeErrors
from builder.recipe.compose import load
from builder.sources.columns_check import check_recipe_columns

CSV = "id,Status,text,movie,Amount\n1,good,fine film,a,3\n2,bad,poor film,b,4\n"


def check(project, recipe: str, overrides=()):
    project.recipe("t", recipe)
    composed = load("t", project.root, overrides)
    return check_recipe_columns(composed.recipe, project.root, composed.display_file)


def tabular(source: str = "{type: csv, path: d.csv}", extra: str = "") -> str:
    return ("defaults: [base, _self_]\nname: t\n"
            "task: {type: tabular-classification, label: Status, classes: [good, bad]}\n"
            f"sources:\n  s: {source}\n{extra}")


def miss(project, recipe: str, key: str, found: str, close: str | None, overrides=()):
    with pytest.raises(RecipeErrors) as caught:
        check(project, recipe, overrides)
    text = str(caught.value)
    assert f"recipes/t.yaml: {key}: found '{found}', which is not a column" in text, text
    if close:
        assert f"Did you mean '{close}'?" in text, text
    return text


def test_the_examples_pass(example_project) -> None:
    for name in ("reviews", "credit", "churn_release"):
        composed = load(name, example_project.root)
        columns = check_recipe_columns(composed.recipe, example_project.root, name)
        assert composed.recipe.task.label in columns


def test_a_label_typo_is_caught_before_reading(project) -> None:
    project.write("d.csv", CSV)
    text = miss(project, tabular(), "task.label", "status", "Status",
                overrides=["task.label=status"])
    assert "every label comes from this column" in text


def test_text_group_features_and_transform_columns(project) -> None:
    project.write("d.csv", CSV)
    recipe = tabular(extra="transforms:\n  f: {type: filter, query: 'amount > 1'}\n"
                           "  n: {type: normalize_text, columns: [txt]}\n"
                           "split: {group: movi}\n")
    text = miss(project, recipe, "transforms.f.query", "amount", "Amount")
    assert "transforms.n.columns[0]: found 'txt'" in text
    assert "split.group: found 'movi'" in text and "Did you mean 'movie'?" in text


def test_renames_and_selects_are_replayed(project) -> None:
    project.write("d.csv", CSV)
    recipe = tabular("{type: csv, path: d.csv, rename: {text: body}, columns: [body, Status]}",
                     "transforms:\n  r: {type: rename, columns: {body: review}}\n"
                     "  d: {type: drop_missing, columns: [review]}\n")
    assert check(project, recipe) == ["_id", "_source", "review", "Status"]
    miss(project, recipe.replace("[review]", "[body]"), "transforms.d.columns[0]", "body", None)
    miss(project, recipe.replace("rename: {text: body}", "rename: {txt: body}"),
         "sources.s.rename.txt", "txt", "text")


def test_a_label_map_needs_the_label_column_in_its_source(project) -> None:
    project.write("d.csv", CSV.replace("Status", "status"))
    miss(project, tabular("{type: csv, path: d.csv, label_map: {x: good}}"),
         "sources.s.label_map", "Status", "status")


def test_labeling_function_and_gold_columns(project) -> None:
    project.write("d.csv", CSV)
    recipe = tabular(extra="labeling:\n  functions:\n"
                           "    big: {type: threshold, label: bad, column: amount, op: '>', "
                           "value: 3}\n")
    miss(project, recipe, "labeling.functions.big.column", "amount", "Amount")
    recipe = tabular(extra="labeling: {gold: {column: Stat}}\n")
    miss(project, recipe, "labeling.gold.column", "Stat", "Status")


def test_a_missing_label_column_is_fine_when_functions_label(project) -> None:
    project.write("d.csv", CSV.replace("Status", "other"))
    recipe = ("defaults: [base, _self_]\nname: t\n"
              "task: {type: text-classification, text: text, label: label, "
              "classes: [good, bad]}\nsources:\n  s: {type: csv, path: d.csv}\n"
              "labeling:\n  functions:\n    f: {type: keyword, label: good, words: [fine]}\n")
    assert "label" not in check(project, recipe)


def test_jsonl_keys_seen_only_late_are_found(project) -> None:
    lines = [json.dumps({"text": "x" * 500, "Status": "good"})] * 4000
    lines.append(json.dumps({"text": "y", "Status": "bad", "late": 1}))
    project.write("d.jsonl", "\n".join(lines) + "\n")
    recipe = tabular("{type: jsonl, path: d.jsonl}", "split: {group: late}\n")
    assert "late" in check(project, recipe)


def test_sql_columns_come_from_the_cursor(project) -> None:
    with sqlite3.connect(project.root / "d.db") as db:
        db.execute("create table t (text, Status)")
        db.execute("insert into t values ('a', 'good')")
    recipe = tabular("{type: sql, path: d.db, query: 'select text from t'}")
    miss(project, recipe, "task.label", "Status", None)


def test_parquet_schema(project) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"Status": ["good"], "text": ["a"]}), project.root / "d.parquet")
    miss(project, tabular("{type: parquet, path: d.parquet}", "split: {group: txt}\n"),
         "split.group", "txt", "text")


def test_feedback_field_typos_name_the_option(project) -> None:
    record = {"id": 1, "inputs": {"text": "a"}, "prediction": "good", "correction": None,
              "consent": True, "timestamp": "2026-01-01"}
    project.write("logs/a.jsonl", json.dumps(record) + "\n")
    project.write("d.csv", CSV)
    base = tabular(extra="  f: {type: feedback, path: logs/*.jsonl, OPTION}\n")
    for option, close in [("consent_field: consnt", "consent"),
                          ("correction_field: corection", "correction")]:
        with pytest.raises(DataError, match=re.escape(f"`{option}` names no field of the "
                                                      f"records") + f".*Did you mean '{close}'"):
            check(project, base.replace("OPTION", option))
    assert "_feedback_label" in check(project, base.replace(", OPTION", ""))


def test_hf_folder_columns_come_from_dataset_info(project) -> None:
    import datasets

    datasets.DatasetDict({"train": datasets.Dataset.from_dict(
        {"text": ["a"], "Status": ["good"]})}).save_to_disk(str(project.root / "hfd"))
    miss(project, tabular("{type: hf, path: hfd}", "split: {group: txt}\n"),
         "split.group", "txt", "text")
