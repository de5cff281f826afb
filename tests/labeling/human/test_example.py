"""The reviews example shows every label source at work, reproducibly."""

from __future__ import annotations

import pytest

from builder import artifacts

from builder.pipeline import runner
from builder.partitions import artifact_bytes


@pytest.mark.slow
def test_reviews_example_shows_every_label_source(example_project) -> None:
    ctx = runner.build("reviews", example_project.root, progress=False)
    label = artifacts.read_json(ctx.metrics_path("label"))
    # Every label source at work (the corpus's own labels are evaluation-only: no gold).
    assert set(label["label_sources"]) == {"human", "feedback", "weak", "pseudo"}
    assert label["feedback"]["applied"] > 0 and label["feedback"]["corrections"] > 0
    assert label["label_sources"]["human"] >= 50
    human = label["human"]
    assert human["method"] == "dawid_skene"
    assert len(human["annotators"]) == 3 and human["annotations_for_missing_rows"] == 0
    assert 0.4 < human["krippendorff_alpha"] < 0.9
    ingest = artifacts.read_json(ctx.metrics_path("ingest"))["sources"]["app_feedback"]
    assert ingest["without_consent"] > 0 and ingest["outside_window"] > 0
    assert ingest["duplicates_of_other_sources"] > 0
    card = ctx.artifact("README.md").read_text()
    assert "## Human labels and feedback" in card and "| app_feedback | 620 |" in card
    # Rebuilt in the same process, the labels and the card are the same bytes: nothing depends
    # on the clock (a batch's import time is an input, read from the store) nor on whether the
    # export read its input from memory or from disk.
    first = (artifact_bytes(ctx.artifact("labeled")),
             artifacts.read_json(ctx.artifact("metrics.json"))["export"]["content_hash"], card)
    again = runner.build("reviews", example_project.root, progress=False)
    assert (artifact_bytes(again.artifact("labeled")),
            artifacts.read_json(again.artifact("metrics.json"))["export"]["content_hash"],
            again.artifact("README.md").read_text()) == first
