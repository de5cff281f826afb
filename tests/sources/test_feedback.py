"""`type: feedback`: prediction logs with consent, a time window, dedup and user corrections."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from builder import artifacts

from builder.pipeline import runner
from builder.partitions import read_artifact
from builder.errors import DataError, RecipeErrors
from builder.recipe.compose import load

SHOP_CSV = """review_id,text,label
r1,Great value and fast shipping,pos
r2,Awful,neg
"""


def record(id_, at, text, prediction="pos", score=0.9, correction=None, consent=True, **extra):
    line = {"id": id_, "timestamp": at, "model_version": "m-1", "inputs": {"text": text},
            "prediction": prediction, "score": score, "correction": correction, **extra}
    if consent is not None:
        line["consent"] = consent
    return json.dumps(line)


LOG = [
    record("a1", "2026-01-10T09:00:00Z", "Loved every minute"),
    record("a2", "2026-01-11T09:00:00Z", "Terrible acting", score=0.55, correction="neg"),
    record("a3", "2026-01-12T09:00:00Z", "Secret text nobody agreed to share", correction="neg",
           consent=False),
    record("a4", "2026-01-13T09:00:00Z", "Also secret, no consent flag at all", consent=None),
    record("a5", "2025-12-20T09:00:00Z", "Too early for the window"),
    record("a6", "2026-03-05T09:00:00Z", "Too late for the window"),
    record("a7", "2026-01-15T09:00:00Z", "  GREAT value and   fast shipping "),
    record("a8", "2026-02-01T09:00:00+01:00", "Best purchase ever", score=0.4, prediction="neg",
           correction="positive"),
]

RECIPE = """
defaults: [base, _self_]
name: shop
task: {type: text-classification, text: text, label: label, classes: [pos, neg]}
sources:
  shop: {type: csv, path: recipes/data/shop.csv, key: [review_id]}
  app:
    type: feedback
    path: logs/*.jsonl
    since: 2026-01-01
    until: "2026-03-01T00:00:00Z"
    dedup_on: [text]
    label_map: {positive: pos}
labeling: {unlabeled: keep}
"""


@pytest.fixture
def app(project):
    project.write("recipes/data/shop.csv", SHOP_CSV)
    project.write("logs/predictions-1.jsonl", "\n".join(LOG) + "\n")
    project.recipe("shop", RECIPE)
    return project


def ingest_and_label(project, name="shop"):
    ctx = runner.compose_stage(name, project.root)
    runner.run_stage("ingest", ctx)
    runner.run_stage("label", ctx)
    return ctx


def test_feedback_rows_corrections_and_metrics(app) -> None:
    ctx = ingest_and_label(app)
    labeled = read_artifact(ctx.artifact("labeled"))
    rows = labeled[labeled["_source"] == "app"].set_index("_id")
    assert rows.index.tolist() == ["app/a1", "app/a2", "app/a8"]
    assert rows["text"].tolist() == ["Loved every minute", "Terrible acting", "Best purchase ever"]
    assert rows["label"].fillna("-").tolist() == ["-", "neg", "pos"]  # label_map applied
    assert rows["label_source"].fillna("-").tolist() == ["-", "feedback", "feedback"]
    assert rows["label_confidence"].fillna(-1).tolist() == [-1, 1.0, 1.0]
    assert rows["_feedback_prediction"].tolist() == ["pos", "pos", "neg"]
    assert rows["_feedback_score"].tolist() == [0.9, 0.55, 0.4]
    assert str(rows["_feedback_at"].dtype) == "datetime64[us, UTC]"
    assert rows.loc["app/a8", "_feedback_at"] == pd.Timestamp("2026-02-01T08:00:00Z")
    ingest = artifacts.read_json(ctx.metrics_path("ingest"))["sources"]["app"]
    assert {k: ingest[k] for k in ("records", "without_consent", "outside_window",
                                   "duplicates_of_other_sources", "rows", "corrections")} == {
        "records": 8, "without_consent": 2, "outside_window": 2,
        "duplicates_of_other_sources": 1, "rows": 3, "corrections": 2}
    label = artifacts.read_json(ctx.metrics_path("label"))
    assert label["label_sources"] == {"feedback": 2, "gold": 2}
    assert label["feedback"] == {"corrections": 2, "corrections_changing_prediction": 2,
                                 "offered": 2, "applied": 2, "replaced": {"unlabeled": 2},
                                 "outranked_by": {}}


def test_rows_without_consent_never_enter_the_dataset(app) -> None:
    # Five rows: one split, since an empty split fails the build (checks.min_rows).
    ctx = runner.build("shop", app.root, ["split.fractions.train=1.0",
                                          "split.fractions.validation=null",
                                          "split.fractions.test=null"], progress=False)
    secret = ("Secret text nobody agreed", "Also secret")
    outputs = [part for n in ("ingested", "labeled", "split", "augmented")
               for part in sorted(ctx.artifact(n).glob("part-*.parquet"))]
    outputs += sorted(ctx.artifact("hub").rglob("*.parquet"))
    outputs += sorted(ctx.artifact("dataset").rglob("*.arrow"))
    assert len(outputs) >= 2
    for path in outputs:
        table = pq.read_table(path) if path.suffix == ".parquet" else None
        text = (table.to_pandas().to_string() if table is not None
                else path.read_bytes().decode("utf-8", "replace"))
        assert not any(s in text for s in secret), path
    assert "Loved every minute" in read_artifact(ctx.artifact("labeled"))["text"].tolist()
    card = ctx.artifact("README.md").read_text()
    assert "| app | 8 | 2 | 2 | 1 | 3 | 2 |" in card


def test_top_level_inputs_epoch_times_and_consent_words(project) -> None:
    project.write("recipes/data/shop.csv", SHOP_CSV)
    lines = [{"request": "x1", "text": "Nice", "label_guess": "pos", "at": 1767600000,
              "ok": "yes"},
             {"request": "x2", "text": "Bad", "label_guess": "neg", "at": 1767600060, "ok": "NO"},
             {"request": "x3", "text": "Fine", "label_guess": "pos", "at": 1767600120, "ok": "1"}]
    project.write("logs/a.jsonl", "".join(json.dumps(l) + "\n" for l in lines))
    project.recipe("shop", """
        defaults: [base, _self_]
        name: shop
        task: {type: text-classification, text: text, label: label, classes: [pos, neg]}
        sources:
          app: {type: feedback, path: logs/a.jsonl, id_field: request, inputs_field: null,
                prediction_field: label_guess, timestamp_field: at, consent_field: ok}
        labeling: {unlabeled: keep}
        """)
    ctx = ingest_and_label(project)
    df = read_artifact(ctx.artifact("ingested"))
    assert df["_id"].tolist() == ["app/x1", "app/x3"]
    assert [c for c in df.columns if not c.startswith("_")] == ["text"]
    assert df["_feedback_at"].iloc[0] == pd.Timestamp("2026-01-05T08:00:00Z")
    assert df["_feedback_label"].isna().all()


def test_a_broken_log_line_is_named(app) -> None:
    (app.root / "logs/predictions-1.jsonl").write_text(LOG[0] + "\n{\"id\": \"b\", \n")
    ctx = runner.compose_stage("shop", app.root)
    with pytest.raises(DataError, match=r"source 'app' \(feedback\): .*predictions-1.jsonl: "
                                        r"line 2: is not valid JSON \(.*\); expected one object per line"):
        runner.run_stage("ingest", ctx)


def test_records_without_an_id_field(app) -> None:
    (app.root / "logs/predictions-1.jsonl").write_text(
        json.dumps({"ident": 1, "inputs": {"text": "x"}, "consent": True}) + "\n")
    ctx = runner.compose_stage("shop", app.root)
    with pytest.raises(DataError, match=r"`id_field: id` names no field of the records; they "
                                        r"have ident, inputs, consent"):
        runner.run_stage("ingest", ctx)


def test_a_correction_outside_the_classes(app) -> None:
    (app.root / "logs/predictions-1.jsonl").write_text(
        record("z1", "2026-01-10T09:00:00Z", "Hmm", correction="meh") + "\n")
    with pytest.raises(DataError, match=r"feedback corrections: found 'meh' \(1 rows\), expected "
                                        r"one of 'neg' or 'pos'"):
        ingest_and_label(app)


def test_recipe_errors_name_the_key(app) -> None:
    app.recipe("shop", RECIPE.replace("since: 2026-01-01", "since: last week")
               .replace("dedup_on: [text]", "dedup_on: [text]\n    dedup_against: [shopp]"))
    with pytest.raises(RecipeErrors) as error:
        load("shop", app.root)
    text = str(error.value)
    assert ("sources.app.since: found 'last week', expected an ISO date or time such as "
            "2026-01-01 or 2026-01-01T08:00:00Z.") in text
    assert ("sources.app.dedup_against[0]: found 'shopp', expected another source of this "
            "recipe: 'shop'. Did you mean 'shop'?") in text
    app.recipe("shop", RECIPE.replace("since: 2026-01-01", "since: 2026-04-01"))
    with pytest.raises(RecipeErrors, match=r"sources.app.until: found '2026-03-01T00:00:00Z', "
                                           r"expected a time after since \('2026-04-01'\)"):
        load("shop", app.root)
