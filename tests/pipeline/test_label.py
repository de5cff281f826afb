"""The label stage (`builder.pipeline.label`) end to end: provenance columns, gold kept out,
precedence, abstain policy."""

from __future__ import annotations

import pandas as pd
import pytest

from builder import artifacts

from builder.pipeline import runner
from builder.partitions import read_artifact
from builder.errors import DataError

ROWS = [
    ("great fun film", "pos"), ("a great cast", "pos"), ("superb and great", "pos"),
    ("boring and dull", "neg"), ("dull dull plot", "neg"), ("a boring mess", "neg"),
    ("great but boring", "neg"), ("nothing to say", "pos"), ("fine enough", "neg"),
]


def write_project(project, labeling: str) -> None:
    lines = ["id,text,label"] + [f"{i},{text},{label}" for i, (text, label) in enumerate(ROWS)]
    project.write("data.csv", "\n".join(lines) + "\n")
    project.recipe("r", f"""
defaults: [base, _self_]
name: r
seed: 3
task: {{type: text-classification, text: text, label: label, classes: [pos, neg]}}
sources:
  s: {{type: csv, path: data.csv, key: [id]}}
{labeling}
""")


FUNCTIONS = """
  functions:
    praise: {type: keyword, label: pos, words: [great, superb, fun]}
    pans: {type: keyword, label: neg, words: [boring, dull, mess]}
"""


def run_label(project):
    ctx = runner.compose_stage("r", project.root)
    runner.run_stage("ingest", ctx)
    metrics = runner.run_stage("label", ctx)
    return ctx, read_artifact(ctx.artifact("labeled")), metrics


def test_gold_for_evaluation_only(project) -> None:
    write_project(project, "labeling:\n  gold: {use: evaluate}\n  unlabeled: keep\n"
                  "  model: {type: majority}" + FUNCTIONS)
    ctx, df, metrics = run_label(project)
    assert df["_id"].tolist() == [f"s/{i}" for i in range(9)]
    assert df["label"].tolist() == ["pos", "pos", "pos", "neg", "neg", "neg", pd.NA, pd.NA, pd.NA]
    assert df["label_source"].tolist() == ["weak"] * 6 + [pd.NA] * 3
    assert df["label_confidence"].tolist()[:6] == [1.0] * 6
    assert df["weak_label"].tolist()[6:] == [pd.NA] * 3
    assert df["lf_conflict"].tolist() == [False] * 6 + [True, False, False]
    assert df["_gold"].tolist() == [label for _, label in ROWS]
    for column in ("model_label", "model_confidence", "suspect_label"):
        assert column in df.columns
    functions = metrics["functions"]
    assert functions["functions"]["praise"]["empirical_accuracy"] == 0.75
    assert functions["weak_accuracy"] == {"rows": 9, "labeled": 6, "accuracy_labeled": 1.0,
                                          "accuracy_all": 0.6667}
    assert metrics["final_accuracy"]["accuracy_all"] == 0.6667
    assert metrics["unlabeled_kept"] == 3 and metrics["rows_out"] == 9


def test_gold_as_labels_wins_over_weak_and_unlabeled_rows_drop(project) -> None:
    write_project(project, "labeling:\n  gold: {use: label}\n  unlabeled: drop" + FUNCTIONS)
    lines = ["id,text,label"] + [f"{i},{text},{label if i < 3 else ''}"
                                 for i, (text, label) in enumerate(ROWS)]
    project.write("data.csv", "\n".join(lines) + "\n")
    _, df, metrics = run_label(project)
    assert "_gold" not in df.columns
    assert df["label_source"].tolist() == ["gold"] * 3 + ["weak"] * 3
    assert df["label"].tolist() == ["pos", "pos", "pos", "neg", "neg", "neg"]
    assert metrics["unlabeled_dropped"] == 3
    assert metrics["label_sources"] == {"gold": 3, "weak": 3}


def test_weighted_model_without_dev_rows_is_an_error(project) -> None:
    write_project(project, "labeling:\n  gold: {use: label}\n  model: {type: weighted}" + FUNCTIONS)
    project.write("data.csv", "id,text,label\n1,great,\n2,dull,\n")
    with pytest.raises(DataError, match="the weighted model learns from gold dev rows, but no "
                                        "row has a gold label"):
        run_label(project)


@pytest.mark.slow
def test_reviews_example_labels_with_functions_and_keeps_gold_out(example_project) -> None:
    import datasets

    # The corpus alone, without the prediction log: its 394 held-out snippets (no gold label)
    # move the unsupervised label model's fit (accuracy on the rows it labels 0.720 -> 0.692);
    # tests/labeling/human/test_example.py builds the whole example.
    ctx = runner.build("reviews", example_project.root, ["~sources.app_feedback"],
                       progress=False)
    labeled = read_artifact(ctx.artifact("labeled"))
    metrics = artifacts.read_json(ctx.metrics_path("label"))
    # The corpus's labels are evaluation-only: every label comes from humans or a model.
    assert set(labeled["label_source"].dropna()) == {"human", "weak", "pseudo"}
    assert "gold" not in metrics["label_sources"]
    functions = metrics["functions"]
    assert len(functions["functions"]) == 12
    assert functions["coverage"] > 0.25
    # The label model beats majority vote on rows it labels and labels more of them.
    assert functions["weak_accuracy"]["accuracy_labeled"] > 0.7
    assert functions["weak_accuracy"]["accuracy_all"] > functions["majority_accuracy"]["accuracy_all"]
    assert metrics["label_errors"]["count"] == int(labeled["suspect_label"].sum())
    card = ctx.artifact("README.md").read_text()
    assert "## Labeling" in card and "Weak-label accuracy: 0.7" in card
    saved = datasets.load_from_disk(str(ctx.artifact("dataset")))
    for split in saved.values():
        assert not {"_gold", "weak_label", "model_label", "suspect_label"} & set(split.column_names)
        assert {"label_source", "label_confidence"} <= set(split.column_names)


@pytest.mark.parametrize("action", ["review", "drop"])
def test_suspected_human_labels_are_flagged_never_cleared_nor_dropped(project, action) -> None:
    from builder.labeling.human.store import LabelStore, import_records

    write_project(project, "labeling:\n  gold: {use: evaluate}\n  unlabeled: keep\n"
                  "  model: {type: majority}\n  pseudo: {type: text, folds: 3}\n"
                  f"  label_errors: {{action: {action}}}" + FUNCTIONS)
    project.write("votes.csv", "two annotators call s/0 'great fun film' negative\n")
    import_records(LabelStore(project.root / "labels" / "r"),
                   [{"_id": "s/0", "annotator": a, "label": "neg", "where": "x"} for a in "ab"],
                   tool="csv", source=project.root / "votes.csv", imported_by="t",
                   imported_at="2026-01-01T00:00:00+00:00")
    _, df, metrics = run_label(project)
    found = metrics["label_errors"]
    assert found["by_source"] == {"human": 1, "weak": 4} and found["human_kept"] == 1
    assert df.loc[0, ["_id", "label", "label_source", "suspect_label"]].tolist() == [
        "s/0", "neg", "human", True]
    # The weak labels the model doubts (s/1, s/3, s/4, s/5) go to review or out of the dataset.
    if action == "review":
        assert df["label"].fillna("-").tolist()[:6] == ["neg", "-", "pos", "-", "-", "-"]
        assert df["suspect_label"].tolist() == [True, True, False, True, True, True] + [False] * 3
        assert found["dropped"] == 0
    else:
        assert df["_id"].tolist() == ["s/0", "s/2", "s/6", "s/7", "s/8"]
        assert found["dropped"] == 4 and metrics["rows_out"] == 5
