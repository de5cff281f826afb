"""Export metrics counted from the published tables."""

from __future__ import annotations

import pyarrow as pa

from builder.export.stage import label_source_counts


def test_made_rows_count_under_their_origin_and_rows_without_a_label_as_unlabeled() -> None:
    train = pa.table({"label": [0, 1, -1, 1, 0],
                      "label_source": ["gold", "weak", None, None, None],
                      "_origin": ["real", "real", "real", "synthetic", "smote"]})
    assert label_source_counts(train, "label") == {
        "gold": 1, "smote": 1, "synthetic": 1, "unlabeled": 1, "weak": 1}


def test_no_label_source_column_gives_no_counts() -> None:
    assert label_source_counts(pa.table({"label": [0], "_origin": ["real"]}), "label") == {}
