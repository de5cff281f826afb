"""The export stage's own writer of the `save_to_disk` folder (`SplitWriter` and the JSON files
beside) writes what `DatasetDict.save_to_disk` writes, and `load_from_disk` reads it back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from builder.columns import STRING
from builder.export.saved import load_dataset_dict, write_dataset_dict_json, write_split_state
from builder.export.schema import features_for, output_columns, to_arrow_table
from builder.export.writer import SplitWriter
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
    df = frame(2500)
    table = to_arrow_table(df, output_columns(df, TASK), TASK)
    features = features_for(table, TASK)
    table = table.cast(features.arrow_schema)
    rows = {s: int((df["split"] == s).sum()) for s in splits}
    starts = {"train": 0, "validation": rows["train"], "test": rows["train"]}
    tables = {s: table.slice(starts[s], rows[s]) for s in splits}
    fingerprints = {"train": "a1", "validation": "b2", "test": "c3"}
    datasets.DatasetDict({
        s: datasets.Dataset(datasets.table.InMemoryTable(t),
                            info=datasets.DatasetInfo(features=features),
                            split=datasets.NamedSplit(s), fingerprint=fingerprints[s])
        for s, t in tables.items()}).save_to_disk(str(tmp_path / "reference"))

    ours = tmp_path / "ours"
    results = {}
    for split in splits:
        writer = SplitWriter(split, features, tmp_path / "hub", ours)
        writer.add(tables[split])
        results[split] = writer.close()
    write_dataset_dict_json(splits, ours)
    for split, dataset in load_dataset_dict(features, ours, results, fingerprints).items():
        write_split_state(dataset, ours / split, results[split]["arrow_files"])
        assert results[split]["bytes"] == dataset.data.nbytes  # what the card reports

    reference, written = files(tmp_path / "reference"), files(ours)
    assert "train/data-00000-of-00001.arrow" in reference
    # save_to_disk writes no data file for an empty split (load_from_disk then fails); we write
    # one empty file, so the validation split's state differs and nothing else does.
    assert "validation/data-00000-of-00001.arrow" not in reference
    assert written.pop("validation/data-00000-of-00001.arrow")
    assert b'"filename": "data-00000-of-00001.arrow"' in written.pop("validation/state.json")
    assert reference.pop("validation/state.json")
    # The Arrow files hold the same schema, batches and values; their bytes differ only in the
    # padding after a buffer: save_to_disk pads a batch sliced from the split's table with up to
    # 63 bytes of the rows after it, the export with zeros (each batch is copied on its own, so
    # the file does not depend on how the rows were partitioned).
    for name in [n for n in written if n.endswith(".arrow")]:
        ours_file, theirs = (pa.ipc.open_stream(data) for data in (written.pop(name),
                                                                   reference.pop(name)))
        assert ours_file.schema.equals(theirs.schema, check_metadata=True)
        ours_batches, their_batches = list(ours_file), list(theirs)
        assert [b.num_rows for b in ours_batches] == [b.num_rows for b in their_batches]
        assert all(a.equals(b) for a, b in zip(ours_batches, their_batches))
    assert written == reference  # dataset_dict.json, state.json and dataset_info.json
    loaded = datasets.load_from_disk(str(ours))
    assert {s: d.num_rows for s, d in loaded.items()} == {"train": 1875, "validation": 0, "test": 625}
    assert loaded["train"].features["label"].names == ["neg", "pos"]
    assert loaded["test"][0] == {"_id": "s/1875", "text": "text number 1875", "stars": 0,
                                 "label": 0, "_source": "s"}
