"""`type: csv`: globs over several files, compression, options, real data, unreadable files."""

from __future__ import annotations

import bz2
import gzip
import re
from pathlib import Path

import pytest

from builder.errors import DataError
from builder.sources.base import balanced_part_bytes
from builder.sources.csv import CsvConfig, CsvSource
from tests.conftest import REPO


def read(path: str, root: Path, **options) -> dict:
    config = CsvConfig(type="csv", path=path, **options)
    return CsvSource("shop", config, root).read().to_pydict()


def test_glob_reads_plain_and_compressed_files_in_name_order(project) -> None:
    project.write("in/part-2.csv", "text,stars\nfine,3\n")
    (project.root / "in/part-1.csv.gz").write_bytes(gzip.compress(b"text,stars\ngood,5\nbad,1\n"))
    (project.root / "in/part-3.csv.bz2").write_bytes(bz2.compress(b"text,stars\nmeh,2\n"))
    project.write("in/notes.txt", "not matched")
    assert read("in/part-*.csv*", project.root) == {
        "text": ["good", "bad", "fine", "meh"], "stars": [5, 1, 3, 2]}


def test_recursive_glob(project) -> None:
    project.write("in/2025/a.csv", "text\nx\n")
    project.write("in/2026/01/b.csv", "text\ny\n")
    assert read("in/**/*.csv", project.root) == {"text": ["x", "y"]}


def test_delimiter_encoding_null_values_and_quoted_newlines(project) -> None:
    (project.root / "shop.csv").write_bytes(
        'text;stars;city\n"caf\xe9 was\nnice";NA;Köln\nok;4;\n'.encode("latin-1"))
    assert read("shop.csv", project.root, delimiter=";", encoding="latin-1",
                null_values=["NA", ""]) == {
        "text": ["café was\nnice", "ok"], "stars": [None, 4], "city": ["Köln", None]}


def test_columns_that_differ_between_files_are_aligned_with_nulls(project) -> None:
    project.write("in/a.csv", "text,stars\ngood,5\n")
    project.write("in/b.csv", "text,lang\nbon,fr\n")
    assert read("in/*.csv", project.root) == {
        "text": ["good", "bon"], "stars": [5, None], "lang": [None, "fr"]}


def test_files_whose_types_cannot_be_combined_suggest_a_cast(project) -> None:
    project.write("in/a.csv", "text,stars\ngood,5\n")
    project.write("in/b.csv", "text,stars\nbon,cinq\n")
    with pytest.raises(DataError, match=re.escape(
            "source 'shop' (csv): the files' columns have types that cannot be combined")
            + ".*expected the same type per column: add a `cast:` for it."):
        read("in/*.csv", project.root)


def test_unreadable_file_names_the_source_and_the_file(project) -> None:
    project.write("in/a.csv", "text,stars\ngood,5\n")
    project.write("in/b.csv", 'text,stars\n"unterminated,3\nx,y,z\n')
    with pytest.raises(DataError, match=re.escape("source 'shop' (csv): cannot read ")
                       + r"\S*in/b\.csv: CSV parse error: .*Expected a readable csv file\."):
        read("in/*.csv", project.root)


def test_corrupt_compressed_file(project) -> None:
    (project.root / "shop.csv.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip at all")
    with pytest.raises(DataError, match=r"source 'shop' \(csv\): cannot read \S*shop\.csv\.gz: "):
        read("shop.csv.gz", project.root)


def test_no_matching_file_at_read_time(project) -> None:
    with pytest.raises(DataError, match=re.escape(
            "source 'shop' (csv): no file matches 'in/*.csv'.")):
        read("in/*.csv", project.root)


def test_real_rotten_tomatoes_file(project) -> None:
    table = read(str(REPO / "recipes/data/rotten_tomatoes.csv.bz2"), project.root)
    assert list(table) == ["category", "filename", "text", "movie_name"]
    assert len(table["text"]) == 5022
    assert {c: table["category"].count(c) for c in ("fresh", "rotten", "plot")} == {
        "fresh": 2455, "rotten": 2411, "plot": 156}


def stream(path: str, root: Path, partition_bytes: int, **options) -> list:
    config = CsvConfig(type="csv", path=path, **options)
    source = CsvSource("shop", config, root)
    return [table for piece in source.pieces(partition_bytes)
            for table in source.read_piece(piece, partition_bytes)]


def test_a_file_streams_in_tables_of_about_the_partition_size(project) -> None:
    rows = "".join(f"review number {i} was fine,{i % 5}\n" for i in range(20_000))
    project.write("shop.csv", "text,stars\n" + rows)
    tables = stream("shop.csv", project.root, 2**16)
    assert len(tables) > 4 and sum(t.num_rows for t in tables) == 20_000
    # each table holds the rows of one 64 KiB block of the file (cut at a row's end)
    csv_bytes = [sum(len(f"{text},{stars}\n") for text, stars in zip(
        t.column("text").to_pylist(), t.column("stars").to_pylist())) for t in tables]
    assert all(abs(n - 2**16) < 64 for n in csv_bytes[:-1])
    assert tables[0].column("text")[0].as_py() == "review number 0 was fine"
    assert tables[-1].column("stars").to_pylist()[-1] == 19_999 % 5
    header_only = stream(str(project.write("empty.csv", "text,stars\n")), project.root, 2**16)
    assert [t.num_rows for t in header_only] == [0]
    assert header_only[0].column_names == ["text", "stars"]


def test_a_value_past_the_first_block_that_does_not_fit_its_column_type(project) -> None:
    rows = "".join(f"fine,{i}\n" for i in range(30_000))
    project.write("shop.csv", "text,stars\n" + rows + "odd,4.5\n")
    with pytest.raises(DataError, match=re.escape("source 'shop' (csv): cannot read ")
                       + r"\S*shop\.csv: .*conversion error.* Column types are inferred from "
                       r"the file's first 65,536 bytes .*expected the values further on to fit "
                       r"them\."):
        stream("shop.csv", project.root, 2**16)


def test_a_large_file_is_cut_into_a_multiple_of_the_threads_in_equal_tables(project) -> None:
    rows = "".join(f"review number {i} was fine,{i % 5}\n" for i in range(40_000))
    path = project.write("shop.csv", "text,stars\n" + rows)
    size = path.stat().st_size  # about 1.2 MB: 2.5 partitions of 480 KiB
    part = balanced_part_bytes(size, 480 * 2**10, workers=2)
    assert part == -(-size // 4)
    tables = stream("shop.csv", project.root, part)
    assert len(tables) == 4 and sum(t.num_rows for t in tables) == 40_000
    assert max(t.num_rows for t in tables) - min(t.num_rows for t in tables) < 2_000


@pytest.mark.parametrize(("total", "partition", "workers", "expected"), [
    (93, 32, 2, 24),      # 3 tables of 32 and a scrap -> 4 tables of 24 (rounded up)
    (93, 32, 1, 32),      # one thread: nothing to balance
    (20, 32, 2, 32),      # fits in one partition: one table
    (None, 32, 2, 32),    # size unknown (compressed): as configured
    (64, 32, 2, 32),      # already two equal tables
    (65, 32, 4, 17),      # 3 tables -> 4 of 17
])
def test_balanced_part_bytes(total, partition, workers, expected) -> None:
    assert balanced_part_bytes(total, partition, workers) == expected
