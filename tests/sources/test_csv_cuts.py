"""CSV files cut into byte ranges of whole records at fixed offsets (`builder.sources.csv_cuts`):
the pieces read what one stream of the file reads, and an append leaves earlier pieces alone."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest

from builder.errors import DataError
from builder.sources.csv import CsvConfig, CsvSource

VALUES = ["plain", '"with, a comma"', '"two\nlines"', '"a ""quoted"" word"', "", '"cr\r\nlf"']


def source(root: Path, threads: int = 2, **options) -> CsvSource:
    found = CsvSource("shop", CsvConfig(type="csv", path="a.csv", **options), root)
    found.threads = threads
    return found


def write(path: Path, rows: int, start: int = 0, header: bool = True) -> None:
    rng = random.Random(start)
    lines = [f"{i},{rng.choice(VALUES)},{rng.randint(0, 9)},{rng.random():.3f}"
             for i in range(start, start + rows)]
    with path.open("a", newline="") as fh:
        fh.write(("id,text,n,x\n" if header else "") + "\n".join(lines) + "\n")


def read_pieces(found: CsvSource, partition_bytes: int) -> tuple[list, pa.Table]:
    pieces = found.pieces(partition_bytes)
    tables = [t for piece in pieces for t in found.read_piece(piece, partition_bytes)]
    return pieces, pa.concat_tables(tables)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("partition_bytes", [4096, 20_000])
def test_pieces_read_the_rows_a_stream_reads(tmp_path: Path, threads: int,
                                             partition_bytes: int) -> None:
    write(tmp_path / "a.csv", 2000)
    whole = source(tmp_path).read()
    pieces, table = read_pieces(source(tmp_path, threads), partition_bytes)
    assert len(pieces) > threads and all(isinstance(p, tuple) for p in pieces)
    assert table.equals(whole) and table.schema == whole.schema


def test_an_append_changes_only_the_last_piece(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    write(path, 2000)
    before = source(tmp_path).pieces(8192)
    digests = [source(tmp_path).piece_digest(p) for p in before]
    write(path, 300, start=2000, header=False)
    after = source(tmp_path).pieces(8192)
    assert len(after) > len(before)
    assert [p[1:3] for p in after[:len(before) - 1]] == [p[1:3] for p in before[:-1]]
    assert [source(tmp_path).piece_digest(p) for p in after[:len(before) - 1]] == digests[:-1]
    assert after[len(before) - 1][2] > before[-1][2]


def test_a_quote_inside_an_unquoted_value_leaves_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    write(path, 100)
    path.write_text(path.read_text() + '7,a 5" screen,1,0.5\n')
    write(path, 1000, start=100, header=False)
    found = source(tmp_path)
    assert found.pieces(4096) == [str(path)]
    assert read_pieces(found, 4096)[1].equals(found.read())


def test_newlines_not_in_values_cut_at_every_line_feed(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,text\n" + "".join(f'{i},"a ""{i}"" b"\n' for i in range(3000)))
    found = source(tmp_path, newlines_in_values=False)
    pieces, table = read_pieces(found, 4096)
    assert len(pieces) > 2 and table.equals(found.read())


def test_utf16_and_compressed_files_are_one_piece(tmp_path: Path) -> None:
    import gzip

    text = "id,text\n" + "".join(f"{i},caf\u00e9 {i}\n" for i in range(3000))
    (tmp_path / "a.csv").write_bytes(text.encode("utf-16"))
    assert source(tmp_path).pieces(4096) == [str(tmp_path / "a.csv")]
    (tmp_path / "a.csv").unlink()
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(text.encode()))
    found = CsvSource("shop", CsvConfig(type="csv", path="a.csv.gz"), tmp_path)
    assert found.pieces(4096) == [str(tmp_path / "a.csv.gz")]


def test_a_later_value_that_does_not_fit_the_first_block_type_names_it(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,n\n" + "".join(f"{i},{i}\n" for i in range(3000)) + "3000,1.5\n")
    found = source(tmp_path)
    pieces = found.pieces(4096)
    assert len(pieces) > 2
    with pytest.raises(DataError, match="Column types are inferred from the file's first"):
        for piece in pieces:
            list(found.read_piece(piece, 4096))


def test_a_file_whose_first_block_cannot_be_read_names_it(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,text\n0,a,b\n" + "".join(f"{i},row {i}\n" for i in range(3000)))
    with pytest.raises(DataError, match="a.csv"):
        source(tmp_path).pieces(4096)
