"""Hostile files (issue 20, 'tracebacks' 7-9): other encodings, undecodable bytes, JSON Lines
that are not objects, a 10 MB field, bare carriage returns."""

from __future__ import annotations

import json

from tests.hostile.conftest import TINY, cli, rows_csv


def ingest(project, name: str = "tiny", *overrides: str):
    cli(project.root, "stage", "compose", name, *overrides, code=0)
    return cli(project.root, "stage", "ingest", name)


def test_a_latin1_csv_with_text_cleanup_builds_and_reports_its_encoding(tiny) -> None:
    text = rows_csv().replace("good", "café crème").replace("bad", "déjà vu naïve")
    (tiny.root / "shop.csv").write_bytes(text.encode("latin-1"))
    tiny.recipe("tiny", TINY.replace("[base, _self_]", "[base, {transforms: text_cleanup}, "
                                                       "_self_]"))
    assert ingest(tiny).code == 0
    metrics = json.loads((tiny.root / "data/tiny/metrics/ingest.json").read_text())
    assert metrics["sources"]["shop"]["files_decoded_as_cp1252"] == 1
    from builder.partitions import read_artifact

    texts = read_artifact(tiny.root / "data/tiny/ingested")["text"]
    assert texts.str.contains("café crème").any()


def test_an_undecodable_csv_fails_at_ingest_naming_file_line_and_offset(tiny) -> None:
    (tiny.root / "shop.csv").write_bytes(rows_csv().encode() + b"caf\xe9 bad,pos\n")
    ending = ingest(tiny, "tiny", "sources.shop.encoding=utf-8")
    assert ending.code == 2
    assert "shop.csv: line 82, byte offset" in ending.err
    assert "is not valid utf-8 text" in ending.err


def test_a_jsonl_line_that_is_not_an_object(tiny) -> None:
    tiny.write("rows.jsonl", '{"text": "a", "label": "pos"}\n[1,2,3]\n')
    tiny.recipe("tiny", TINY.replace("{type: csv, path: shop.csv}",
                                     "{type: jsonl, path: rows.jsonl}"))
    ending = ingest(tiny)
    assert ending.code == 2
    assert "rows.jsonl: line 2: found a JSON array, expected an object" in ending.err


def test_a_10_mb_field_reads(tiny) -> None:
    (tiny.root / "shop.csv").write_text(rows_csv() + '"' + "x" * 10_000_000 + '",pos\n')
    assert ingest(tiny).code == 0
    metrics = json.loads((tiny.root / "data/tiny/metrics/ingest.json").read_text())
    assert metrics["rows"] == 81


def test_bare_carriage_returns_with_line_terminator(tiny) -> None:
    lines = rows_csv().splitlines()
    broken = [lines[0]] + [f"{line[:5]}\r{line[5:]}" for line in lines[1:]]
    (tiny.root / "shop.csv").write_bytes(("\r\n".join(broken) + "\r\n").encode())
    assert ingest(tiny).code == 2  # pyarrow ends a record at a bare \r
    tiny.recipe("tiny", TINY.replace("path: shop.csv}", 'path: shop.csv, line_terminator: "\\n"}'))
    assert ingest(tiny).code == 0
    metrics = json.loads((tiny.root / "data/tiny/metrics/ingest.json").read_text())
    assert metrics["rows"] == 80
