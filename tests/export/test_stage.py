"""Export metrics computed from the published tables."""

from __future__ import annotations

import pyarrow as pa

from builder.export.stage import label_sources_per_split


def test_made_rows_count_under_their_origin_and_rows_without_a_label_as_unlabeled() -> None:
    train = pa.table({"label": [0, 1, -1, 1, 0],
                      "label_source": ["gold", "weak", None, None, None],
                      "_origin": ["real", "real", "real", "synthetic", "smote"]})
    test = pa.table({"label": [1], "label_source": ["gold"], "_origin": ["real"]})
    assert label_sources_per_split({"train": train, "test": test}, "label") == {
        "train": {"gold": 1, "smote": 1, "synthetic": 1, "unlabeled": 1, "weak": 1},
        "test": {"gold": 1}}


def test_no_label_source_column_gives_no_counts() -> None:
    table = pa.table({"label": [0], "_origin": ["real"]})
    assert label_sources_per_split({"train": table}, "label") == {}
