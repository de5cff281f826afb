"""CSV and JSON Lines against hostile files: other encodings, undecodable bytes, bare \\r,
records longer than a block, lines that are not objects."""

from __future__ import annotations

import bz2
import re
from types import SimpleNamespace
from pathlib import Path

import pytest

from builder.errors import DataError
from builder.sources.base import FileSourceConfig
from builder.sources.csv import MAX_BLOCK_BYTES, CsvConfig, CsvSource
from builder.sources.jsonl import JsonlSource

FRENCH = ("text,label\n" + '"Le café est très bon, à la française",a\n' * 3
          + "naïve déjà vu,b\n")


def source(path: str, root: Path, **options) -> CsvSource:
    return CsvSource("shop", CsvConfig(type="csv", path=path, **options), root)


def test_auto_reads_a_latin1_file_and_counts_the_encoding(project) -> None:
    (project.root / "fr.csv").write_bytes(FRENCH.encode("latin-1"))
    shop = source("fr.csv", project.root)
    assert shop.columns() == ["text", "label"]
    table = shop.read()
    assert table["text"].to_pylist()[-1] == "naïve déjà vu"
    assert shop.report == {"files_decoded_as_cp1252": 1}


def test_auto_honours_a_utf8_bom_and_counts_nothing(project) -> None:
    (project.root / "bom.csv").write_bytes(b"\xef\xbb\xbf" + FRENCH.encode("utf-8"))
    shop = source("bom.csv", project.root)
    assert shop.columns() == ["text", "label"]
    assert shop.read()["text"].to_pylist()[0].startswith("Le café")
    assert shop.report == {}


def test_auto_reads_compressed_utf16_with_its_bom(project) -> None:
    (project.root / "w.csv.bz2").write_bytes(bz2.compress(FRENCH.encode("utf-16")))
    assert source("w.csv.bz2", project.root).read()["label"].to_pylist() == ["a", "a", "a", "b"]


def test_bytes_invalid_past_the_sample_name_file_line_and_offset(project) -> None:
    head = b"text,label\n" + b"plain ascii,a\n" * 100_000  # 1.4 MB: more than the sample
    (project.root / "late.csv").write_bytes(head + b"caf\xe9,b\n")
    with pytest.raises(DataError, match=re.escape(
            f"late.csv: line 100002, byte offset {len(head) + 3}: is not valid utf8 text "
            "(invalid continuation byte); the encoding was detected from its first MiB")):
        list(source("late.csv", project.root).read_piece(str(project.root / "late.csv"), 1 << 20))


def test_an_explicit_encoding_that_does_not_fit_is_an_error_naming_the_line(project) -> None:
    (project.root / "fr.csv").write_bytes(FRENCH.encode("latin-1"))
    with pytest.raises(DataError, match=r"fr\.csv: line 2, byte offset 18: is not valid utf-8 "
                       r"text .*set by `encoding:`"):
        source("fr.csv", project.root, encoding="utf-8").read()


def test_an_unknown_encoding_name_is_a_recipe_problem(project) -> None:
    from builder.recipe.schema import CheckContext

    project.write("a.csv", "x\n1\n")
    config = CsvConfig(type="csv", path="a.csv", encoding="latin-9000")
    recipe = SimpleNamespace(task=SimpleNamespace(classes=["a", "b"]))
    problems = dict(config.check(CheckContext(root=project.root, recipe=recipe)))  # type: ignore
    assert "Python does not know" in problems["encoding"]


def test_a_10_mb_field_grows_the_block(project) -> None:
    (project.root / "big.csv").write_bytes(
        b'text,label\nshort,a\n"' + b"x" * 10_000_000 + b'",b\nlast,a\n')
    shop = source("big.csv", project.root)
    tables = list(shop.read_piece(str(project.root / "big.csv"), 1 << 20))
    rows = [r for t in tables for r in t.to_pylist()]
    assert [r["label"] for r in rows] == ["a", "b", "a"]
    assert len(rows[1]["text"]) == 10_000_000
    assert shop.columns() == ["text", "label"]


def test_a_record_past_the_cap_names_the_cap(project, monkeypatch) -> None:
    import builder.sources.csv as csv_module

    monkeypatch.setattr(csv_module, "MAX_BLOCK_BYTES", 1 << 16)
    (project.root / "big.csv").write_bytes(b'text\n"' + b"x" * 300_000 + b'"\n')
    with pytest.raises(DataError, match=r"a record is longer than 0 MiB, the largest block"):
        list(source("big.csv", project.root).read_piece(str(project.root / "big.csv"), 1 << 12))
    assert MAX_BLOCK_BYTES == 2**28


def test_bare_carriage_returns_in_quoted_values_read(project) -> None:
    rows = ['id,text,label'] + [f'{i},"one\rtwo\r\rthree, four",x{i}' for i in range(5000)]
    (project.root / "cr.csv").write_bytes(("\n".join(rows) + "\n").encode())
    table = source("cr.csv", project.root).read()
    assert table.num_rows == 5000 and table["text"][0].as_py() == "one\rtwo\r\rthree, four"


def test_line_terminator_newline_keeps_unquoted_carriage_returns(project) -> None:
    (project.root / "cr.csv").write_bytes(b"a,b,c\r\n1,x\ry,z\r\n2,p,3\r\n")
    with pytest.raises(DataError):
        source("cr.csv", project.root).read()  # pyarrow ends a record at the bare \r
    shop = source("cr.csv", project.root, line_terminator="\n")
    assert shop.columns() == ["a", "b", "c"]
    assert shop.read().to_pylist() == [{"a": 1, "b": "x\ry", "c": "z"},
                                       {"a": 2, "b": "p", "c": "3"}]


def test_newlines_in_values_reaches_the_parser(project) -> None:
    (project.root / "q.csv").write_bytes(b'a,b\n1,"x\ny"\n')
    assert source("q.csv", project.root).read().num_rows == 1
    options = source("q.csv", project.root, newlines_in_values=False)._options("utf8")
    assert options["parse_options"].newlines_in_values is False


def test_a_jsonl_line_that_is_not_an_object_names_the_line(project) -> None:
    project.write("l.jsonl", '{"a": 1}\n[1, 2, 3]\n')
    logs = JsonlSource("logs", FileSourceConfig(type="jsonl", path="l.jsonl"), project.root)
    with pytest.raises(DataError, match=r"source 'logs' \(jsonl\): cannot read \S*l\.jsonl: "
                       r"line 2: found a JSON array, expected an object"):
        logs.read()
    with pytest.raises(DataError, match="line 2: found a JSON array"):
        logs.columns()


def test_a_bad_jsonl_line_in_a_later_byte_range_counts_lines_from_the_file_start(project):
    lines = ['{"a": %d}' % i for i in range(3000)] + ["42"]
    project.write("l.jsonl", "\n".join(lines) + "\n")
    logs = JsonlSource("logs", FileSourceConfig(type="jsonl", path="l.jsonl"), project.root)
    pieces = logs.pieces(4096)
    assert len(pieces) > 3
    with pytest.raises(DataError, match="line 3001: found a JSON number"):
        for piece in pieces:
            list(logs.read_piece(piece, 4096))


def test_jsonl_bytes_that_are_not_utf8_name_line_and_offset(project) -> None:
    lines = b'{"a": "x"}\n' * 120_000 + b'{"a": "caf\xe9"}\n'  # past the first MiB
    (project.root / "l.jsonl").write_bytes(lines)
    logs = JsonlSource("logs", FileSourceConfig(type="jsonl", path="l.jsonl"), project.root)
    assert logs.columns() == ["a"]  # the sample is clean
    with pytest.raises(DataError, match=r"l\.jsonl: line 120001: is not valid UTF-8 \(invalid "
                       rf"continuation byte at byte offset {120_000 * 11 + 10}\)"):
        logs.read()
