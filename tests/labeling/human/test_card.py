"""The card section on human labels and feedback, from metrics alone."""

from __future__ import annotations

from builder.labeling.human.card import section_human

METRICS = {
    "ingest": {"sources": {
        "shop": {"type": "csv", "rows": 10},
        "app": {"type": "feedback", "records": 8, "without_consent": 2, "outside_window": 2,
                "duplicates_of_other_sources": 1, "rows": 3, "corrections": 2}}},
    "label": {
        "feedback": {"corrections": 2, "offered": 2, "applied": 1, "replaced": {"unlabeled": 1},
                     "outranked_by": {"gold": 1}, "corrections_changing_prediction": 2},
        "human": {
            "store": "labels/shop", "offered": 2, "applied": 2, "annotations": 5,
            "annotations_for_missing_rows": 1, "replaced": {"gold": 1, "unlabeled": 1},
            "outranked_by": {},
            "method": "majority", "rows_with_several_annotators": 3, "ties": 1,
            "krippendorff_alpha": 0.25, "fleiss_kappa": 0.2, "consensus_rows": 3,
            "cohen_kappa": [{"annotators": ["a", "b"], "rows": 2, "kappa": 0.5}],
            "low_agreement": {"min_agreement": 0.6, "action": "drop", "rows": 1, "dropped": 1},
            "annotators": {"a": {"labels": 3, "compared": 3, "accuracy_vs_consensus": 1.0},
                           "b": {"labels": 2, "compared": 2, "accuracy_vs_consensus": 0.5}},
            "batches": [{"file": "batch-0001-csv-1a2b3c4d.jsonl", "tool": "csv", "records": 6,
                         "source_file": "x.csv", "imported_by": "dana",
                         "imported_at": "2026-04-01T00:00:00+00:00"}],
        },
    },
}


def test_the_section_shows_feedback_store_agreement_and_annotators() -> None:
    text = section_human(None, METRICS)
    assert text.startswith("## Human labels and feedback\n\nWhen a row has labels from several "
                           "sources, the most trusted wins: human > gold > feedback > weak > "
                           "pseudo.")
    assert "| app | 8 | 2 | 2 | 1 | 3 | 2 |" in text
    assert ("1 corrections became labels (label source `feedback`), 2 of 2 corrections changed "
            "the model's prediction; outranked by: gold 1.") in text
    assert ("2 rows carry a human label (replacing: gold 1, unlabeled 1), from 5 annotations in "
            "the label store `labels/shop`, aggregated by majority; 1 annotations are for rows no "
            "longer in the data.") in text
    assert "| batch-0001-csv-1a2b3c4d.jsonl | csv | 6 | dana | 2026-04-01T00:00:00+00:00 |" in text
    assert ("Agreement over the 3 rows with several annotators: Krippendorff's alpha 0.250, "
            "Fleiss' kappa 0.200; 1 rows tied. Cohen's kappa: a and b 0.500 (2 rows).") in text
    assert ("Rows need at least 0.6 of their annotators to agree; rows under it: 1 (dropped from "
            "the dataset).") in text
    assert "| b | 2 | 2 | 0.500 |" in text


def test_an_empty_store_says_so() -> None:
    text = section_human(None, {"label": {"human": {"store": "labels/x", "batches": []}}})
    assert text.endswith("### Human labels\n\nThe label store `labels/x` is empty: no human "
                         "labels yet.")
