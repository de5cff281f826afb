"""Exact duplicate rows land in the same split; duplicates across splits are reported
(issue 20, item 4)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from builder.partitions import read_artifact
from builder.splitting import content_ids, duplicates_across_splits, split_keys
from tests.hostile.conftest import TINY, cli, rows_csv


def test_content_ids_drop_the_occurrence_counter_only_where_asked() -> None:
    ids = pd.Series(["s/0123456789abcdef", "s/0123456789abcdef-1", "s/0123456789abcdef-12",
                     "k/0123456789abcdef-1"], dtype="string")
    stripped = content_ids(ids, np.array([True, True, True, False]))
    assert stripped.tolist() == ["s/0123456789abcdef"] * 3 + ["k/0123456789abcdef-1"]
    frame = pd.DataFrame({"_id": ids, "_source": ["s", "s", "s", "k"]})
    assert split_keys(frame, None, ["s"]).tolist() == stripped.tolist()


def test_duplicates_across_splits_counts_per_pair() -> None:
    # Each partition's distinct content keys per split (train, validation, test).
    def keys(*values: int) -> np.ndarray:
        return np.array(values, np.uint64)

    results = [{"contents": [keys(1, 2), keys(3), keys()]},
               {"contents": [keys(), keys(1, 3), keys(2, 4)]}]
    assert duplicates_across_splits(results, ["train", "validation", "test"]) == {
        "train/validation": 1, "train/test": 1}


def build_to_split(project, *overrides: str) -> tuple[pd.DataFrame, dict]:
    cli(project.root, "stage", "compose", "tiny", *overrides, code=0)
    for stage in ("ingest", "label", "split"):
        cli(project.root, "stage", stage, "tiny", code=0)
    metrics = json.loads((project.root / "data/tiny/metrics/split.json").read_text())
    return read_artifact(project.root / "data/tiny/split"), metrics


def test_fifty_duplicated_pairs_share_their_split(tiny) -> None:
    text = rows_csv(100)
    lines = text.splitlines()
    (tiny.root / "shop.csv").write_text(text + "\n".join(lines[1:51]) + "\n")
    frame, metrics = build_to_split(tiny)
    assert len(frame) == 150
    per_text = frame.groupby("text")["split"].nunique()
    assert (per_text == 1).all()
    assert metrics["duplicates_across_splits"] == {}


def test_duplicates_with_distinct_keys_are_reported(tiny) -> None:
    rows = rows_csv(100).splitlines()
    body = [f"{i},{line}" for i, line in enumerate(rows[1:] + rows[1:51])]
    (tiny.root / "shop.csv").write_text("id,text,label\n" + "\n".join(body) + "\n")
    tiny.recipe("tiny", TINY.replace("path: shop.csv}", "path: shop.csv, key: [id]}"))
    frame, metrics = build_to_split(tiny)
    spread = frame.groupby("text")["split"].nunique()
    across = int((spread > 1).sum())
    assert across > 0  # keyed rows are split by their key, not their content
    report = metrics["duplicates_across_splits"]
    assert sum(report.values()) == across
    assert set(report) <= {"train/validation", "train/test", "validation/test"}
