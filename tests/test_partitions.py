"""Partitioned artifacts: Arrow IPC parts, their record batches per group, and their dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from builder.partitions import (Partitions, artifact_bytes, is_grouped, part_dtypes, part_name,
                                read_head, read_part, read_row_groups, read_table, row_groups,
                                write_part)


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "_id": pd.Series(["a", "b", "c", "d", "e"], dtype="string[pyarrow]"),
        "n": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "x": [0.5, np.nan, 1.5, 2.0, 3.0],
        "kind": pd.Categorical(["u", "v", "u", "u", "v"], categories=["u", "v", "w"]),
        "split": pd.Categorical(["train", "train", "test", "test", "validation"],
                                categories=["train", "validation", "test"]),
    })


def test_a_part_round_trips_its_pandas_dtypes_and_unused_categories(tmp_path) -> None:
    write_part(frame(), tmp_path / part_name(0, 0))
    assert (tmp_path / "part-00000-00000.arrow").is_file()
    back = read_part(tmp_path / "part-00000-00000.arrow")
    pd.testing.assert_frame_equal(back, frame())
    assert list(back["kind"].cat.categories) == ["u", "v", "w"]
    dtypes = part_dtypes(tmp_path / "part-00000-00000.arrow")  # from the schema alone
    assert dtypes.astype(str).to_dict() == frame().dtypes.astype(str).to_dict()
    pd.testing.assert_frame_equal(read_head(tmp_path / "part-00000-00000.arrow", 2),
                                  frame().head(2))


def test_an_empty_part_keeps_its_columns_and_dtypes(tmp_path) -> None:
    write_part(frame().iloc[:0], tmp_path / "part-00000-00000.arrow")
    back = read_part(tmp_path / "part-00000-00000.arrow")
    assert back.empty and back.dtypes.astype(str).to_dict() == frame().dtypes.astype(str).to_dict()


def test_groups_are_record_batches_listed_in_the_schema(tmp_path) -> None:
    path = tmp_path / "part-00000-00000.arrow"
    write_part(frame(), path, groups="split")
    assert is_grouped(read_table(path))
    assert row_groups(path, "test") == [1] and row_groups(path, "nowhere") == []
    assert read_row_groups(path, row_groups(path, "train"))["_id"].to_pylist() == ["a", "b"]
    assert read_table(path, ["_id"]).column_names == ["_id"]
    write_part(frame(), tmp_path / "plain.arrow")
    assert not is_grouped(read_table(tmp_path / "plain.arrow"))
    assert row_groups(tmp_path / "plain.arrow", "test") == [0]


def test_chunks_with_different_dictionaries_are_written_as_one_dictionary(tmp_path) -> None:
    first = pa.Table.from_pandas(frame().iloc[:2], preserve_index=False)
    second = pa.Table.from_pandas(frame().iloc[2:], preserve_index=False)
    table = pa.concat_tables([first, second.cast(first.schema)])
    write_part(table, tmp_path / "part-00000-00000.arrow", groups="split")
    assert read_part(tmp_path / "part-00000-00000.arrow")["_id"].tolist() == list("abcde")


def test_a_part_replaced_while_its_rows_are_still_in_use_stays_readable(tmp_path) -> None:
    path = tmp_path / "part-00000-00000.arrow"
    write_part(frame(), path)
    rows = read_part(path)  # strings are memory-mapped from the file
    write_part(rows.iloc[:1], path)
    assert rows["_id"].tolist() == list("abcde")
    assert read_part(path)["_id"].tolist() == ["a"]
    assert not list(tmp_path.glob(".*"))


def test_an_artifact_lists_its_parts_in_order_with_their_rows(tmp_path) -> None:
    for numbers in [(1, 0), (0, 1), (0, 0)]:
        write_part(frame(), tmp_path / part_name(*numbers))
    (tmp_path / "notes.txt").write_text("not a part")
    parts = Partitions.open(tmp_path)
    assert parts.names == ("part-00000-00000.arrow", "part-00000-00001.arrow",
                           "part-00001-00000.arrow")
    assert [parts.rows(i) for i in range(parts.count)] == [5, 5, 5]
    assert list(artifact_bytes(tmp_path)) == list(parts.names)
    assert len(parts.read_all()) == 15
