"""The labeling section of the card, from the label metrics alone."""

from __future__ import annotations

from builder.labeling.card import section_labeling


def test_suspected_errors_say_which_human_labels_were_kept() -> None:
    metrics = {"label": {"gold": {"use": "evaluate", "column": "label"},
                         "label_errors": {"action": "review", "count": 22, "human_kept": 8,
                                          "precision_against_gold": 0.4737}}}
    assert section_labeling(None, metrics) == (
        "## Labeling\n\nThe source's label column `label` was kept only to measure the labels "
        "below; it is not published and no model saw it.\n\nConfident learning flagged 22 "
        "suspected label errors (action: review); 47.4% of them disagree with gold; 8 of them "
        "are human labels, flagged but kept (humans outrank models).")
