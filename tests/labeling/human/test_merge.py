"""Human and feedback labels as candidates of the label stage's precedence merge: consensus,
min_agreement, and the stage keeping them across rebuilds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from builder import artifacts
from builder.partitions import read_artifact
from builder.columns import STRING
from builder.errors import DataError
from builder.labeling.human.config import HumanConfig
from builder.labeling.human.merge import feedback_candidate, human_candidate
from builder.labeling.human.store import LabelStore, import_records
from builder.labeling.merge import Candidate, merge_labels, precedence_report
from builder.recipe.schema import TaskConfig
from tests.labeling.human.conftest import FIXTURES, build_labeled

TASK = TaskConfig(type="text-classification", text="text", label="label", classes=["pos", "neg"])


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"_id": pd.array([f"s/{i}" for i in range(n)], dtype=STRING)})


def labels(values: list[str | None]) -> pd.Series:
    return pd.Series(pd.array(values, dtype=STRING))


def test_feedback_corrections_are_labels_below_gold() -> None:
    df = frame(3)
    df["_feedback_label"] = pd.array(["neg", "neg", None], dtype=STRING)
    df["_feedback_prediction"] = pd.array(["pos", "neg", "pos"], dtype=STRING)
    feedback, metrics = feedback_candidate(df, TASK)
    assert metrics == {"corrections": 2, "corrections_changing_prediction": 1}
    candidates = {"gold": Candidate(labels(["pos", None, None])), "feedback": feedback}
    merged = merge_labels(candidates, df.index)
    assert merged["label"].fillna("-").tolist() == ["pos", "neg", "-"]
    assert merged["label_source"].fillna("-").tolist() == ["gold", "feedback", "-"]
    assert merged["label_confidence"].fillna(-1).tolist() == [1.0, 1.0, -1]
    assert precedence_report(candidates, merged)["feedback"] == {
        "offered": 2, "applied": 1, "replaced": {"unlabeled": 1}, "outranked_by": {"gold": 1}}


def test_no_feedback_source_no_candidate() -> None:
    assert feedback_candidate(frame(2), TASK) == (None, {})


def test_feedback_correction_outside_the_classes_is_an_error() -> None:
    df = frame(1)
    df["_feedback_label"] = pd.array(["positive"], dtype=STRING)
    with pytest.raises(DataError, match=r"feedback corrections: found 'positive' \(1 rows\), "
                                        r"expected one of 'neg' or 'pos'. Map the log's values"):
        feedback_candidate(df, TASK)


def store_with(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A store holding one batch of (row id, annotator, label) records."""
    source = tmp_path / "source.txt"
    source.write_text(repr(rows))
    records = [{"_id": i, "annotator": a, "label": lab, "where": "x"} for i, a, lab in rows]
    folder = tmp_path / "labels"
    import_records(LabelStore(folder), records, tool="csv", source=source, imported_by="t",
                   imported_at="2026-01-01T00:00:00+00:00")
    return folder


VOTES = [("s/0", "a", "neg"), ("s/0", "b", "neg"), ("s/0", "c", "pos"),   # 2/3 agree
         ("s/1", "a", "pos"), ("s/1", "b", "neg"),                        # a tie
         ("s/2", "a", "neg"),                                             # one annotator
         ("gone/9", "a", "pos")]                                          # row not in the data


def test_human_labels_outrank_every_source_and_report(tmp_path: Path) -> None:
    df = frame(4)
    human, drop, metrics = human_candidate(df, store_with(tmp_path, VOTES), TASK, HumanConfig())
    assert human.labels.fillna("-").tolist() == ["neg", "-", "neg", "-"]  # s/1 tied
    assert drop.tolist() == [False] * 4
    candidates = {"human": human, "gold": Candidate(labels(["pos", None, None, None])),
                  "weak": Candidate(labels([None, "pos", None, "neg"]), 0.7)}
    merged = merge_labels(candidates, df.index)
    assert merged["label"].fillna("-").tolist() == ["neg", "pos", "neg", "neg"]
    assert merged["label_source"].tolist() == ["human", "weak", "human", "weak"]
    assert merged["label_confidence"].round(3).tolist() == [0.667, 0.7, 1.0, 0.7]
    assert precedence_report(candidates, merged)["human"] == {
        "offered": 2, "applied": 2, "replaced": {"gold": 1, "unlabeled": 1}, "outranked_by": {}}
    assert metrics["annotations"] == 6 and metrics["annotations_for_missing_rows"] == 1
    assert metrics["ties"] == 1 and metrics["consensus_rows"] == 3
    assert metrics["low_agreement"] == {"min_agreement": None, "action": "fail", "rows": 0,
                                        "dropped": 0}
    assert [b["records"] for b in metrics["batches"]] == [7]


def test_min_agreement_fails_with_the_rows_named(tmp_path: Path) -> None:
    config = HumanConfig(min_agreement=0.6)
    with pytest.raises(DataError, match=r"labeling.human.min_agreement: 1 row has less than 0.6 "
                                        r"of their annotators agreeing with the consensus: s/1 "
                                        r"\(0.50 of 2\)\. .*on_low_agreement: drop"):
        human_candidate(frame(3), store_with(tmp_path, VOTES), TASK, config)


def test_min_agreement_drop_marks_the_rows_and_gives_them_no_label(tmp_path: Path) -> None:
    config = HumanConfig(min_agreement=0.7, on_low_agreement="drop")
    human, drop, metrics = human_candidate(frame(3), store_with(tmp_path, VOTES), TASK, config)
    assert drop.tolist() == [True, True, False]  # s/0 (0.67) and s/1 (0.5) are under 0.7
    assert human.labels.fillna("-").tolist() == ["-", "-", "neg"]
    assert metrics["low_agreement"] == {"min_agreement": 0.7, "action": "drop", "rows": 2,
                                        "dropped": 2}


def test_labels_only_for_rows_that_are_gone_change_nothing(tmp_path: Path) -> None:
    folder = store_with(tmp_path, [("gone/1", "a", "neg"), ("gone/1", "b", "neg")])
    human, drop, metrics = human_candidate(frame(2), folder, TASK,
                                           HumanConfig(aggregate="dawid_skene"))
    assert human.labels.isna().all() and not drop.any()
    assert metrics["annotations_for_missing_rows"] == 2 and metrics["annotations"] == 0
    assert metrics["consensus_rows"] == 0 and metrics["krippendorff_alpha"] is None


def test_an_empty_store_gives_no_candidate(tmp_path: Path) -> None:
    human, drop, metrics = human_candidate(frame(2), tmp_path / "labels", TASK, HumanConfig(),
                                           "labels/x")
    assert human is None and drop.tolist() == [False, False]
    assert metrics == {"store": "labels/x", "batches": [], "annotations": 0}


def test_a_class_the_task_no_longer_has_is_an_error(tmp_path: Path) -> None:
    folder = store_with(tmp_path, [("s/0", "a", "meh")])
    with pytest.raises(DataError, match=r"label store: 1 labels name classes that task.classes no "
                                        r"longer has \(batch-0001-csv-.*\.jsonl line 2: 'meh'\)"):
        human_candidate(frame(1), folder, TASK, HumanConfig())


def test_the_label_stage_merges_the_store_and_keeps_it_across_rebuilds(shop) -> None:
    ctx = build_labeled(shop)
    labeled = read_artifact(ctx.artifact("labeled"))
    assert labeled["label_source"].fillna("none").tolist() == ["gold", "none", "none", "none",
                                                               "gold", "none", "none", "gold"]
    from tests.labeling.human.test_store import do_import

    do_import(LabelStore(shop.root / "labels" / "shop"), FIXTURES / "labelstudio_export.json")
    # New data arrives: the human labels stay with their rows, keyed by _id.
    csv = shop.root / "recipes/data/shop.csv"
    csv.write_text(csv.read_text() + "r9,Meh,\n")
    ctx = build_labeled(shop)
    labeled = read_artifact(ctx.artifact("labeled")).set_index("_id")
    assert labeled.loc["shop/r3", ["label", "label_source"]].tolist() == ["neg", "human"]
    assert labeled.loc["shop/r4", ["label", "label_source"]].tolist() == ["pos", "human"]
    # shop/r5 tied (neg vs pos): its gold label stays.
    assert labeled.loc["shop/r5", ["label", "label_source"]].tolist() == ["neg", "gold"]
    assert pd.isna(labeled.loc["shop/r9", "label"])
    metrics = artifacts.read_json(ctx.metrics_path("label"))
    assert metrics["label_sources"] == {"gold": 3, "human": 2}
    assert metrics["human"]["applied"] == 2 and metrics["human"]["ties"] == 1
    assert metrics["human"]["replaced"] == {"unlabeled": 2}
    inputs = (ctx.artifact("inputs.yaml")).read_text()
    assert "labels/shop/batch-0001-labelstudio-" in inputs


def test_low_agreement_rows_are_dropped_at_the_end_and_never_trained_on(shop) -> None:
    from tests.labeling.human.test_store import do_import

    shop.recipe("shop", (shop.root / "recipes/shop.yaml").read_text().replace(
        "  unlabeled: keep\n",
        "  unlabeled: pseudo\n  pseudo: {type: text, folds: 2, min_confidence: 0.0}\n"
        "  label_errors: {action: flag}\n"
        "  human: {min_agreement: 0.6, on_low_agreement: drop}\n"))
    build_labeled(shop)
    do_import(LabelStore(shop.root / "labels" / "shop"), FIXTURES / "labelstudio_export.json")
    ctx = build_labeled(shop)
    labeled = read_artifact(ctx.artifact("labeled")).set_index("_id")
    # shop/r5 tied (0.5 of 2 annotators agree): dropped, gold label and all. shop/r2, which no
    # fold model could predict, is left without a label: dropped too (only `unlabeled: keep`
    # publishes such rows).
    assert "shop/r5" not in labeled.index and "shop/r2" not in labeled.index
    assert len(labeled) == 6
    assert labeled.loc["shop/r1", ["label", "label_source"]].tolist() == ["pos", "gold"]
    assert labeled.loc["shop/r3", ["label", "label_source"]].tolist() == ["neg", "human"]
    assert labeled.loc["shop/r4", ["label", "label_source"]].tolist() == ["pos", "human"]
    metrics = artifacts.read_json(ctx.metrics_path("label"))
    assert metrics["human"]["low_agreement"] == {"min_agreement": 0.6, "action": "drop",
                                                 "rows": 1, "dropped": 1}
    # The model learns from gold r1, r8 and human r3, r4: not from r5, which is dropped.
    assert metrics["pseudo"]["training_rows"] == {"strong": 4, "confident_weak": 0}
    assert metrics["rows_in"] == 8 and metrics["rows_out"] == 6
    assert metrics["unlabeled_dropped"] == 1
    assert metrics["label_errors"]["count"] == int(labeled["suspect_label"].sum())
    # Row-aligned columns stay with their rows through the drop.
    assert labeled["label_source"].fillna("-").tolist() == ["gold", "human", "human", "pseudo",
                                                            "pseudo", "gold"]
    assert labeled["model_label"].fillna("-").tolist() == ["pos", "-", "-", "pos", "pos", "pos"]
