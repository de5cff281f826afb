"""The ingest stage: sources concatenated with renames, casts and schema alignment; errors."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest

from builder.errors import DataError, FlywheelError, RecipeErrors


def rows(df: pd.DataFrame) -> dict[str, list]:
    """Columns as lists, missing values as None whatever the dtype."""
    return df.astype(object).where(df.notna(), None).to_dict("list")


@pytest.fixture
def two_sources(project):
    project.write("shop.csv", "review_id,review,stars,label\n1,good,5,positive\n2,bad,1,negative\n")
    project.write("app.jsonl", '{"text": "fine", "stars": "4", "lang": "en", "label": "pos"}\n')


def test_sources_are_concatenated_with_renames_casts_and_alignment(ingest, two_sources) -> None:
    df, metrics = ingest("""
        shop:
          type: csv
          path: shop.csv
          rename: {review: text}
          key: [review_id]
          label_map: {positive: pos, negative: neg}
        app: {type: jsonl, path: app.jsonl, cast: {stars: int}}
    """)
    assert rows(df.drop(columns="_id")) == {
        "_source": ["shop", "shop", "app"],
        "review_id": [1, 2, None],
        "text": ["good", "bad", "fine"],
        "stars": [5, 1, 4],
        "label": ["pos", "neg", "pos"],
        "lang": [None, None, "en"],
    }
    assert list(df["_id"][:2]) == ["shop/1", "shop/2"]
    assert re.fullmatch(r"app/[0-9a-f]{16}", df["_id"][2])
    assert str(df["stars"].dtype) == "int64"
    assert str(df["review_id"].dtype) == "Int64"  # not float: the app rows have no review_id
    assert {n: s["rows"] for n, s in metrics["sources"].items()} == {"shop": 2, "app": 1}
    digest = hashlib.sha256(b"review_id,review,stars,label\n1,good,5,positive\n"
                            b"2,bad,1,negative\n").hexdigest()
    assert metrics["sources"]["shop"]["files"] == {"shop.csv": digest}
    assert metrics["rows"] == 3


def test_conflicting_types_across_sources_suggest_a_cast(ingest, two_sources) -> None:
    with pytest.raises(DataError, match=re.escape(
            "sources: column 'stars' has different types across sources (['int64', 'string']); "
            "expected one type: add a `cast:` to the sources that differ.")):
        ingest("""
            shop: {type: csv, path: shop.csv, rename: {review: text}}
            app: {type: jsonl, path: app.jsonl}
        """)


def test_a_column_empty_in_one_source_takes_the_type_of_the_other(ingest, project) -> None:
    project.write("a.csv", "text,label,note\ngood,pos,\n")
    project.write("b.csv", "text,label,note\nbad,neg,spam\n")
    df, _ = ingest("""
        a: {type: csv, path: a.csv}
        b: {type: csv, path: b.csv}
    """)
    assert rows(df)["note"] == [None, "spam"]
    assert isinstance(df["note"].dtype, pd.StringDtype)


def test_categories_of_two_sources_are_united(ingest, project) -> None:
    project.write("a.csv", "home,label\nrent,pos\n")
    project.write("b.csv", "home,label\nowner,neg\n")
    df, _ = ingest("""
        a: {type: csv, path: a.csv, cast: {home: category}}
        b: {type: csv, path: b.csv, cast: {home: category}}
    """)
    assert df["home"].tolist() == ["rent", "owner"]
    assert list(df["home"].cat.categories) == ["owner", "rent"]


def test_a_bool_column_one_source_lacks_stays_boolean(ingest, project) -> None:
    project.write("a.csv", "text,label,verified\ngood,pos,true\n")
    project.write("b.csv", "text,label\nbad,neg\n")
    df, _ = ingest("""
        a: {type: csv, path: a.csv}
        b: {type: csv, path: b.csv}
    """)
    assert rows(df)["verified"] == [True, None]
    assert str(df["verified"].dtype) == "boolean"


@pytest.mark.parametrize("source, message", [
    ("{type: csv, path: shop.csv, columns: [review, stras]}",
     "recipes/t.yaml: sources.shop.columns[1]: found 'stras', which is not a column of source "
     "'shop'; the columns there are 'review_id', 'review', 'stars', 'label'. "
     "Did you mean 'stars'?"),
    ("{type: csv, path: shop.csv, rename: {reviw: text}}",
     "recipes/t.yaml: sources.shop.rename.reviw: found 'reviw', which is not a column of source "
     "'shop'; the columns there are 'review_id', 'review', 'stars', 'label'. "
     "Did you mean 'review'?"),
    ("{type: csv, path: shop.csv, cast: {star: float}}",
     "recipes/t.yaml: sources.shop.cast.star: found 'star', which is not a column of source "
     "'shop'; the columns there are 'review_id', 'review', 'stars', 'label'. "
     "Did you mean 'stars'?"),
    ("{type: csv, path: shop.csv, key: [id]}",
     "recipes/t.yaml: sources.shop.key[0]: found 'id', which is not a column of source 'shop'; "
     "the columns there are 'review_id', 'review', 'stars', 'label'."),
    ("{type: csv, path: shop.csv, rename: {review: label}}",
     "source 'shop': two columns are named 'label' after `rename`; expected distinct names: "
     "rename the other 'label' too, or pick another name."),
    ("{type: csv, path: shop.csv, rename: {review_id: _id}}",
     "source 'shop': has a column '_id', a name the builder gives every row; expected it "
     "renamed"),
    ("{type: csv, path: shop.csv, rename: {label: grade}, label_map: {positive: pos}}",
     "recipes/t.yaml: sources.shop.label_map: found 'label', which is not a column of source "
     "'shop' (task.label, whose values label_map maps); the columns there "
     "are 'review_id', 'review', 'stars', 'grade'."),
    ("{type: csv, path: shop.csv, cast: {review: int}}",
     "source 'shop': cannot cast column 'review' to int: "),
])
def test_data_problems_name_the_source(ingest, two_sources, source, message) -> None:
    with pytest.raises(FlywheelError, match=re.escape(message)):
        ingest(f"shop: {source}")


def test_a_file_deleted_after_compose_is_named_when_ingest_runs(ingest, project) -> None:
    from builder.pipeline import runner

    project.write("shop.csv", "text,label\ngood,pos\n")
    ingest("shop: {type: csv, path: shop.csv}")
    (project.root / "shop.csv").unlink()
    with pytest.raises(RecipeErrors, match=re.escape(
            "data/t/recipe.yaml: sources.shop.path: no file matches 'shop.csv'")):
        runner.run_stage("ingest", runner.open_context("t", project.root))


def test_unknown_label_values_pass_to_the_label_stage_unchanged(ingest, project) -> None:
    project.write("shop.csv", "text,label\ngood,positive\nbad,awful\n")
    df, _ = ingest("shop: {type: csv, path: shop.csv, label_map: {positive: pos}}")
    assert df["label"].tolist() == ["pos", "awful"]
    assert isinstance(df["label"].dtype, pd.StringDtype)


def test_transforms_run_in_order_and_record_rows_in_and_out(ingest, project) -> None:
    project.write("shop.csv", "text,stars,label\n  Great film,5,pos\ngreat film,4,pos\n"
                              ",1,neg\nawful,1,neg\n")
    df, metrics = ingest("shop: {type: csv, path: shop.csv}", transforms="""
        clean: {type: normalize_text, columns: [text], lower: true}
        empty: {type: drop_missing, columns: [text]}
        once: {type: dedup, columns: [text]}
        good: {type: filter, query: "stars >= 2"}
    """)
    assert metrics["steps"] == [
        {"name": "clean", "type": "normalize_text", "rows_in": 4, "rows_out": 4},
        {"name": "empty", "type": "drop_missing", "rows_in": 4, "rows_out": 3},
        {"name": "once", "type": "dedup", "rows_in": 3, "rows_out": 2},
        {"name": "good", "type": "filter", "rows_in": 2, "rows_out": 1},
    ]
    assert rows(df.drop(columns="_id")) == {"_source": ["shop"], "text": ["great film"],
                                            "stars": [5], "label": ["pos"]}
    assert metrics["rows"] == 1


@pytest.mark.parametrize("task, message", [
    ("{type: text-classification, text: body, label: label, classes: [pos, neg]}",
     "recipes/t.yaml: task.text: found 'body', which is not a column of the sources; the "
     "columns there are 'text', 'label'."),
    ("{type: tabular-classification, label: label, classes: [pos, neg], features: [txt]}",
     "recipes/t.yaml: task.features[0]: found 'txt', which is not a column of the sources; the "
     "columns there are 'text', 'label'. Did you mean 'text'?"),
])
def test_task_columns_must_exist_after_ingest(project, task, message) -> None:
    from builder.pipeline import runner

    project.write("shop.csv", "text,label\ngood,pos\n")
    project.recipe("t", f"defaults: [base, _self_]\nname: t\ntask: {task}\n"
                        "sources:\n  shop: {type: csv, path: shop.csv}\n")
    with pytest.raises(RecipeErrors, match=re.escape(message)):
        runner.run_stage("ingest", runner.compose_stage("t", project.root))


def test_ids_of_repeated_rows_count_across_partitions(project) -> None:
    # Without key columns a row's id is its content hash, and the n-th repeat of a row gets
    # `-n`: in small partitions the count carries from one part to the next.
    from builder.pipeline import runner
    from builder.partitions import Partitions, read_artifact

    lines = [f"row {i % 7},{i % 3},a" for i in range(30_000)]
    project.write("shop.csv", "text,stars,label\n" + "\n".join(lines) + "\n")

    def ids(partition_size: str) -> tuple[list[str], int]:
        project.recipe("t", "defaults: [base, _self_]\nname: t\n"
                            "task: {type: text-classification, text: text, classes: [a, b]}\n"
                            "sources:\n  shop: {type: csv, path: shop.csv}\n"
                            f"engine: {{partition_size: {partition_size}}}\n")
        ctx = runner.compose_stage("t", project.root)
        runner.run_stage("ingest", ctx)
        parts = Partitions.open(ctx.artifact("ingested")).count
        return read_artifact(ctx.artifact("ingested"))["_id"].tolist(), parts

    small, small_parts = ids("64KiB")
    whole, whole_parts = ids("32MiB")
    assert small_parts > 1 and whole_parts == 1
    assert small == whole
    assert len(set(small)) == 30_000
    first = small[0]
    assert [i for i in small if i.split("-")[0] == first][:3] == [first, f"{first}-1", f"{first}-2"]
