"""Writing a split: counts from the published tables, batch sizes, files that do not depend on
how the rows arrive, dictionary choice."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from builder.export.writer import label_source_counts


def test_made_rows_count_under_their_origin_and_rows_without_a_label_as_unlabeled() -> None:
    train = pa.table({"label": [0, 1, -1, 1, 0],
                      "label_source": ["gold", "weak", None, None, None],
                      "_origin": ["real", "real", "real", "synthetic", "smote"]})
    assert label_source_counts(train, "label") == {
        "gold": 1, "smote": 1, "synthetic": 1, "unlabeled": 1, "weak": 1}


def test_no_label_source_column_gives_no_counts() -> None:
    assert label_source_counts(pa.table({"label": [0], "_origin": ["real"]}), "label") == {}


SCHEMA = pa.schema({"_id": pa.string(), "text": pa.string(), "score": pa.float64(),
                    "flag": pa.bool_(), "label": pa.int64()})


def published(rows: int) -> pa.Table:
    return pa.table({
        "_id": [f"row/{i}" for i in range(rows)],
        "text": [None if i % 7 == 0 else "word " * (i % 11) for i in range(rows)],
        "score": [None if i % 500 == 3 else i / 3 for i in range(rows)],
        "flag": [i % 3 == 0 for i in range(rows)],
        "label": [i % 2 for i in range(rows)],
    }, schema=SCHEMA)


def on_its_own(table: pa.Table) -> pa.Table:
    """`table` copied into buffers of its own: one chunk per column, offset 0, a validity
    bitmap only where a column has nulls (what `pa.concat_arrays` makes)."""
    return pa.Table.from_arrays([pa.concat_arrays(c.chunks) for c in table.columns],
                                schema=table.schema)


def test_batch_bytes_are_the_bytes_of_each_batch_laid_out_on_its_own() -> None:
    from builder.export.sizing import batch_bytes

    table = published(2_345)
    expected = [on_its_own(table.slice(start, 1000)).nbytes for start in range(0, 2_345, 1000)]
    assert batch_bytes(table, 1000).tolist() == expected
    sliced = pa.concat_tables([published(7), table]).slice(7).combine_chunks()  # offset 7
    assert batch_bytes(sliced, 1000).tolist() == expected


def test_split_files_do_not_depend_on_how_the_rows_arrive(tmp_path, monkeypatch) -> None:
    import datasets

    from builder.export import sizing, writer

    monkeypatch.setattr(writer, "ROW_GROUP_BYTES", 40_000)  # several row groups
    features = datasets.Features.from_arrow_schema(SCHEMA)
    features["label"] = datasets.ClassLabel(names=["a", "b"])
    table = published(5_500).cast(features.arrow_schema)
    files = []
    for cuts in ([5_500], [1, 999, 2_500, 2_000], [3_333, 2_167]):
        hub, saved = tmp_path / f"hub{len(files)}", tmp_path / f"saved{len(files)}"
        split_writer = writer.SplitWriter("train", features, hub, saved)
        start = 0
        for rows in cuts:
            split_writer.add(table.slice(start, rows))
            start += rows
        result = split_writer.close()
        assert result["rows"] == 5_500 and result["classes"].tolist() == [2_750, 2_750]
        files.append([p.read_bytes() for p in sorted([*hub.rglob("*.parquet"),
                                                      *saved.rglob("*.arrow")])])
    assert files[0] == files[1] == files[2]
    shard = next((tmp_path / "hub0").rglob("*.parquet"))
    assert pq.ParquetFile(shard).num_row_groups > 1
    arrow = next((tmp_path / "saved0").rglob("*.arrow"))
    stream = pa.ipc.open_stream(arrow.read_bytes())
    assert stream.schema.metadata[b"huggingface"]  # the features, as datasets writes them
    assert stream.read_all().equals(table)


def test_shards_use_dictionaries_only_for_columns_that_repeat(tmp_path) -> None:
    import datasets

    from builder.export import sizing, writer

    features = datasets.Features.from_arrow_schema(SCHEMA)
    features["label"] = datasets.ClassLabel(names=["a", "b"])
    table = published(3_000).cast(features.arrow_schema)
    options = sizing.shard_column_options(features, features.arrow_schema, table)
    assert options["use_dictionary"] == ["text", "flag", "label"]  # not _id, nor score
    assert options["compression"] == dict.fromkeys(SCHEMA.names, "snappy")
    empty = sizing.shard_column_options(features, features.arrow_schema, None)
    assert empty["use_dictionary"] == SCHEMA.names  # push_to_hub's choice
    split_writer = writer.SplitWriter("train", features, tmp_path / "hub", tmp_path / "saved")
    split_writer.add(table)
    split_writer.close()
    row_group = pq.ParquetFile(next((tmp_path / "hub").rglob("*.parquet"))).metadata.row_group(0)
    encoded = {row_group.column(i).path_in_schema:
               "RLE_DICTIONARY" in row_group.column(i).encodings
               for i in range(row_group.num_columns)}
    # (parquet never dictionary-encodes booleans)
    assert encoded == {"_id": False, "text": True, "score": False, "flag": False, "label": True}
