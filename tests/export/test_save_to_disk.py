"""The export stage's own writer of the `save_to_disk` folder gives the same bytes as
`DatasetDict.save_to_disk`, and `load_from_disk` reads it back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from builder.columns import STRING
from builder.export.dataset import (as_dataset_dict, split_tables, write_arrow_shards,
                                    write_dataset_dict_json, write_split_state)
from builder.recipe.schema import TaskConfig

TASK = TaskConfig(type="text-classification", text="text", label="label", classes=["neg", "pos"])


def frame(rows: int) -> pd.DataFrame:
    """A split-ordered frame: train rows, then test rows; no validation row."""
    return pd.DataFrame({
        "_id": pd.Series([f"s/{i}" for i in range(rows)], dtype=STRING),
        "text": pd.Series([f"text number {i}" if i % 7 else None for i in range(rows)], dtype=STRING),
        "stars": [i % 5 for i in range(rows)],
        "label": pd.Series(["pos" if i % 3 else "neg" for i in range(rows)], dtype=STRING),
        "_source": pd.Series(["s"] * rows, dtype=STRING),
        "split": ["train"] * (rows - rows // 4) + ["test"] * (rows // 4),
    })


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_same_bytes_as_save_to_disk_and_loadable(tmp_path: Path) -> None:
    import datasets

    splits = ["train", "validation", "test"]
    features, tables = split_tables(frame(2500), TASK, splits)
    fingerprints = {"train": "a1", "validation": "b2", "test": "c3"}
    dataset_dict = as_dataset_dict(features, tables, fingerprints)
    dataset_dict.save_to_disk(str(tmp_path / "reference"))

    ours = tmp_path / "ours"
    write_dataset_dict_json(splits, ours)
    for split in splits:
        names = write_arrow_shards(tables[split], features, ours / split)
        write_split_state(dataset_dict[split], ours / split, names)

    reference, written = files(tmp_path / "reference"), files(ours)
    assert "train/data-00000-of-00001.arrow" in reference
    # save_to_disk writes no data file for an empty split (load_from_disk then fails); we write
    # one empty file, so the validation split's state differs and nothing else does.
    assert "validation/data-00000-of-00001.arrow" not in reference
    assert written.pop("validation/data-00000-of-00001.arrow")
    assert b'"filename": "data-00000-of-00001.arrow"' in written.pop("validation/state.json")
    assert reference.pop("validation/state.json")
    assert written == reference
    loaded = datasets.load_from_disk(str(ours))
    assert {s: d.num_rows for s, d in loaded.items()} == {"train": 1875, "validation": 0, "test": 625}
    assert loaded["train"].features["label"].names == ["neg", "pos"]
    assert loaded["test"][0] == {"_id": "s/1875", "text": "text number 1875", "stars": 0,
                                 "label": 0, "_source": "s"}
