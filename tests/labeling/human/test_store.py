"""The label store: immutable batches, all-or-nothing imports, no-op re-imports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from builder.errors import DataError
from builder.labeling.human.tools import get_tool
from builder.labeling.human.store import (
    LabelStore, check_records, import_records, problems_error, read_batch)
from tests.labeling.human.conftest import FIXTURES

KNOWN = {f"shop/r{i}" for i in range(1, 9)}
CLASSES = ["pos", "neg"]


def do_import(store: LabelStore, path: Path, tool: str = "labelstudio",
              at: str = "2026-04-01T00:00:00+00:00"):
    parsed = get_tool(tool).parse(path)
    problems = parsed.problems + check_records(parsed.records, KNOWN, CLASSES)
    if problems:
        raise problems_error(path, tool, store.folder, problems)
    return import_records(store, parsed.records, tool=tool, source=path, imported_by="dana",
                          imported_at=at, skipped=parsed.skipped)


def test_import_writes_one_verified_batch(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "labels" / "shop")
    result = do_import(store, FIXTURES / "labelstudio_export.json")
    assert result.new == 5 and result.unchanged == 0
    assert result.batch.path.name.startswith("batch-0001-labelstudio-")
    batch = read_batch(result.batch.path)
    assert batch.header["tool"] == "labelstudio"
    assert batch.header["imported_by"] == "dana"
    assert batch.header["imported_at"] == "2026-04-01T00:00:00+00:00"
    assert batch.header["source_file"] == "labelstudio_export.json"
    assert batch.header["skipped"] == {"cancelled": 1}
    assert batch.header["records"] == 5
    assert batch.records[0] == {"_id": "shop/r3", "label": "neg", "annotator": "labelstudio:2",
                                "annotated_at": "2026-11-28T18:50:49.702054Z",
                                "ref": "task 1 annotation 1", "trust": None}
    frame = store.annotations()
    assert list(zip(frame["_id"], frame["annotator"], frame["label"])) == [
        ("shop/r3", "labelstudio:2", "neg"), ("shop/r3", "labelstudio:3", "neg"),
        ("shop/r4", "labelstudio:2", "pos"), ("shop/r5", "labelstudio:2", "pos"),
        ("shop/r5", "labelstudio:carol@example.com", "neg")]


def test_reimporting_the_same_file_is_a_no_op(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "store")
    first = do_import(store, FIXTURES / "labelstudio_export.json")
    before = {p.name: p.read_bytes() for p in store.folder.iterdir()}
    again = do_import(store, FIXTURES / "labelstudio_export.json", at="2026-05-01T00:00:00+00:00")
    assert again.batch is None and again.new == 0
    assert again.message.endswith(f"was already imported as {first.batch.path.name}; "
                                  "nothing to do.")
    assert {p.name: p.read_bytes() for p in store.folder.iterdir()} == before


def test_a_full_reexport_adds_only_what_is_new(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "store")
    do_import(store, FIXTURES / "labelstudio_export.json")
    tasks = json.loads((FIXTURES / "labelstudio_export.json").read_text())
    tasks[1]["annotations"][1] = {"id": 9, "completed_by": 3, "was_cancelled": False,
                                  "updated_at": "2026-11-29T09:00:00Z", "result": [
                                      {"from_name": "label", "to_name": "text", "type": "choices",
                                       "value": {"choices": ["pos"]}}]}
    tasks[2]["annotations"][1]["result"][0]["value"]["choices"] = ["neg"]  # changed their mind
    later = tmp_path / "export-2.json"
    later.write_text(json.dumps(tasks))
    result = do_import(store, later)
    assert result.new == 2 and result.unchanged == 4
    assert result.batch.path.name.startswith("batch-0002-labelstudio-")
    assert [(r["_id"], r["annotator"], r["label"]) for r in result.batch.records] == [
        ("shop/r4", "labelstudio:3", "pos"), ("shop/r5", "labelstudio:2", "neg")]
    frame = store.annotations().set_index(["_id", "annotator"])
    assert frame.loc[("shop/r5", "labelstudio:2"), "label"] == "neg"  # the later batch wins
    assert frame.loc[("shop/r5", "labelstudio:2"), "batch"] == result.batch.path.name
    same_labels = tmp_path / "export-3.json"
    same_labels.write_text(json.dumps(tasks, indent=4))
    assert do_import(store, same_labels).message.endswith("every label is already in "
                                                          f"{store.folder}; nothing to do.")


def test_an_import_with_problems_lists_every_line_and_writes_nothing(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "store")
    do_import(store, FIXTURES / "labelstudio_export.json")
    before = sorted(p.name for p in store.folder.iterdir())
    bad = tmp_path / "labels.csv"
    bad.write_text("row_id,label,annotator\n"
                   "shop/r1,pos,dana\n"
                   "shop/r99,pos,dana\n"
                   "shop/r2,Pos,dana\n"
                   "shop/r1,neg,dana\n"
                   "shop/r3,neg\n"
                   ",neg,dana\n")
    with pytest.raises(DataError) as error:
        do_import(store, bad, tool="csv")
    assert str(error.value) == (
        f"{bad} (csv): cannot import, 5 problems; nothing was written to {store.folder}:\n"
        "  line 3: unknown row id 'shop/r99'; expected an `_id` of the built data "
        "(ingested/).\n"
        "  line 4: unknown class 'Pos'; expected 'neg' or 'pos'. Did you mean 'pos'?\n"
        "  line 5: duplicate of line 2 (row 'shop/r1', annotator 'dana'); expected one label per "
        "annotator and row.\n"
        "  line 6: 2 fields, expected 3 like the header.\n"
        "  line 7: no row id; expected each record to name its row, its class and its annotator.")
    assert sorted(p.name for p in store.folder.iterdir()) == before


def test_an_edited_batch_is_refused(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "store")
    batch = do_import(store, FIXTURES / "labelstudio_export.json").batch
    text = batch.path.read_text().replace('"label": "pos"', '"label": "neg"', 1)
    batch.path.write_text(text)
    with pytest.raises(DataError, match=r"its records do not match the checksum in its header "
                                        r"\(was it edited\?\)\. Batches are immutable"):
        store.annotations()


def test_foreign_files_in_the_store_are_refused(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "store")
    do_import(store, FIXTURES / "labelstudio_export.json")
    shutil.copy(FIXTURES / "plain.csv", store.folder / "extra.csv")
    with pytest.raises(DataError, match=r"extra.csv: not a label batch; the store .* holds only "
                                        r"files named batch-NNNN-<tool>-<checksum>.jsonl"):
        store.batches()


def test_an_empty_or_missing_store_has_no_annotations(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "nowhere")
    assert store.batches() == []
    assert store.annotations().empty
