"""Human and feedback labels in the label stage: precedence, consensus, min_agreement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from builder import artifacts
from builder.columns import STRING
from builder.errors import DataError
from builder.labeling.human.config import HumanConfig
from builder.labeling.human.merge import (
    apply_feedback_labels, apply_human_labels, assign_labels)
from builder.labeling.human.store import LabelStore, import_records
from builder.recipe.schema import TaskConfig
from tests.labeling.human.conftest import FIXTURES, build_labeled

TASK = TaskConfig(type="text-classification", text="text", label="label", classes=["pos", "neg"])


def frame(sources: list[str | None], labels: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({
        "_id": pd.array([f"s/{i}" for i in range(len(sources))], dtype=STRING),
        "label": pd.array(labels, dtype=STRING),
        "label_source": pd.array(sources, dtype=STRING),
        "label_confidence": [np.nan if s is None else 0.7 for s in sources],
    })


def test_precedence_human_gold_feedback_weak_pseudo() -> None:
    df = frame(["gold", "weak", "pseudo", None, "human", "feedback"],
               ["pos", "pos", "pos", None, "pos", "pos"])
    offered = pd.Series(["neg"] * 6, dtype=STRING)
    out, counts = assign_labels(df.copy(), TASK, offered, pd.Series(1.0, index=df.index),
                                "feedback")
    assert out["label_source"].tolist() == ["gold", "feedback", "feedback", "feedback", "human",
                                            "feedback"]
    assert out["label"].tolist() == ["pos", "neg", "neg", "neg", "pos", "pos"]
    assert out["label_confidence"].tolist() == [0.7, 1.0, 1.0, 1.0, 0.7, 0.7]
    assert counts == {"applied": 3, "replaced": {"pseudo": 1, "unlabeled": 1, "weak": 1},
                      "outranked_by": {"feedback": 1, "gold": 1, "human": 1}}
    out, counts = assign_labels(df.copy(), TASK, offered, pd.Series(0.9, index=df.index), "human")
    assert out["label_source"].tolist() == ["human"] * 6
    assert counts["replaced"] == {"feedback": 1, "gold": 1, "pseudo": 1, "unlabeled": 1,
                                  "weak": 1}


def test_feedback_corrections_become_labels_below_gold() -> None:
    df = frame(["gold", None, None], ["pos", None, None])
    df["_feedback_label"] = pd.array(["neg", "neg", None], dtype=STRING)
    df["_feedback_prediction"] = pd.array(["pos", "neg", "pos"], dtype=STRING)
    out, metrics = apply_feedback_labels(df, TASK)
    assert out["label"].tolist()[:2] == ["pos", "neg"]
    assert out["label_source"].tolist()[:2] == ["gold", "feedback"]
    assert metrics == {"corrections": 2, "applied": 1, "replaced": {"unlabeled": 1},
                       "outranked_by": {"gold": 1}, "corrections_changing_prediction": 1}


def test_feedback_correction_outside_the_classes_is_an_error() -> None:
    df = frame([None], [None])
    df["_feedback_label"] = pd.array(["positive"], dtype=STRING)
    with pytest.raises(DataError, match=r"feedback corrections: found 'positive' \(1 rows\), "
                                        r"expected one of 'neg' or 'pos'. Map the log's values"):
        apply_feedback_labels(df, TASK)


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


def test_human_labels_override_and_report(tmp_path: Path) -> None:
    df = frame(["gold", "weak", None, "pseudo"], ["pos", "pos", None, "neg"])
    out, metrics = apply_human_labels(df, store_with(tmp_path, VOTES), TASK, HumanConfig())
    assert out["label"].tolist() == ["neg", "pos", "neg", "neg"]
    assert out["label_source"].tolist() == ["human", "weak", "human", "pseudo"]
    assert out["label_confidence"].round(3).tolist() == [0.667, 0.7, 1.0, 0.7]
    assert metrics["rows_labeled"] == 2
    assert metrics["replaced"] == {"gold": 1, "unlabeled": 1}
    assert metrics["annotations"] == 6 and metrics["annotations_for_missing_rows"] == 1
    assert metrics["ties"] == 1 and metrics["consensus_rows"] == 3
    assert metrics["low_agreement"] == {"min_agreement": None, "action": "fail", "rows": 0,
                                        "dropped": 0}
    assert [b["records"] for b in metrics["batches"]] == [7]


def test_min_agreement_fails_with_the_rows_named(tmp_path: Path) -> None:
    df = frame(["gold", "weak", None], ["pos", "pos", None])
    config = HumanConfig(min_agreement=0.6)
    with pytest.raises(DataError, match=r"labeling.human.min_agreement: 1 row has less than 0.6 "
                                        r"of their annotators agreeing with the consensus: s/1 "
                                        r"\(0.50 of 2\)\. .*on_low_agreement: drop"):
        apply_human_labels(df, store_with(tmp_path, VOTES), TASK, config)


def test_min_agreement_drop_leaves_the_rows_out(tmp_path: Path) -> None:
    df = frame(["gold", "weak", None], ["pos", "pos", None])
    config = HumanConfig(min_agreement=0.7, on_low_agreement="drop")
    out, metrics = apply_human_labels(df, store_with(tmp_path, VOTES), TASK, config)
    assert out["_id"].tolist() == ["s/2"]  # s/0 (0.67) and s/1 (0.5) are under 0.7
    assert metrics["low_agreement"] == {"min_agreement": 0.7, "action": "drop", "rows": 2,
                                        "dropped": 2}


def test_labels_only_for_rows_that_are_gone_change_nothing(tmp_path: Path) -> None:
    df = frame(["gold", None], ["pos", None])
    folder = store_with(tmp_path, [("gone/1", "a", "neg"), ("gone/1", "b", "neg")])
    out, metrics = apply_human_labels(df.copy(), folder, TASK, HumanConfig(aggregate="dawid_skene"))
    pd.testing.assert_frame_equal(out, df)
    assert metrics["rows_labeled"] == 0 and metrics["annotations_for_missing_rows"] == 2
    assert metrics["consensus_rows"] == 0 and metrics["krippendorff_alpha"] is None


def test_a_class_the_task_no_longer_has_is_an_error(tmp_path: Path) -> None:
    folder = store_with(tmp_path, [("s/0", "a", "meh")])
    with pytest.raises(DataError, match=r"label store: 1 labels name classes that task.classes no "
                                        r"longer has \(batch-0001-csv-.*\.jsonl line 2: 'meh'\)"):
        apply_human_labels(frame([None], [None]), folder, TASK, HumanConfig())


def test_the_label_stage_merges_the_store_and_keeps_it_across_rebuilds(shop) -> None:
    ctx = build_labeled(shop)
    labeled = artifacts.read_parquet(ctx.artifact("labeled.parquet"))
    assert labeled["label_source"].fillna("none").tolist() == ["gold", "none", "none", "none",
                                                               "gold", "none", "none", "gold"]
    from tests.labeling.human.test_store import do_import

    do_import(LabelStore(shop.root / "labels" / "shop"), FIXTURES / "labelstudio_export.json")
    # New data arrives: the human labels stay with their rows, keyed by _id.
    csv = shop.root / "recipes/data/shop.csv"
    csv.write_text(csv.read_text() + "r9,Meh,\n")
    ctx = build_labeled(shop)
    labeled = artifacts.read_parquet(ctx.artifact("labeled.parquet")).set_index("_id")
    assert labeled.loc["shop/r3", ["label", "label_source"]].tolist() == ["neg", "human"]
    assert labeled.loc["shop/r4", ["label", "label_source"]].tolist() == ["pos", "human"]
    # shop/r5 tied (neg vs pos): its gold label stays.
    assert labeled.loc["shop/r5", ["label", "label_source"]].tolist() == ["neg", "gold"]
    assert pd.isna(labeled.loc["shop/r9", "label"])
    metrics = artifacts.read_json(ctx.metrics_path("label"))
    assert metrics["label_sources"] == {"gold": 3, "human": 2}
    assert metrics["human"]["rows_labeled"] == 2 and metrics["human"]["ties"] == 1
    inputs = (ctx.artifact("inputs.yaml")).read_text()
    assert "labels/shop/batch-0001-labelstudio-" in inputs
