"""The label store `labels/<recipe>/`: immutable batches of human labels, kept in git.

Each import appends one file `batch-NNNN-<tool>-<checksum>.jsonl`. Its first line is a header
(tool, source file and its sha256, who imported it and when, how many records, the sha256 of the
record lines); every further line is one record: `{"_id", "label", "annotator", "annotated_at",
"ref", "trust"}`. A batch is never edited: reading verifies the checksum, and a later batch
supersedes an annotator's earlier label for the same row.

An import is all or nothing: records are parsed and checked against the data first (unknown row
ids, unknown classes, duplicates, malformed lines), and a batch is written, atomically, only when
every record passed. Records the store already holds are not written again, so importing the
same file twice, or a tool's full re-export, adds only what is new.

Builds read the store by batch order and never by the import time, so they do not depend on the
clock: `imported_at` is information for people.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder import artifacts
from builder.errors import DataError, did_you_mean, one_of

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FORMAT_VERSION = 1
BATCH_PATTERN = re.compile(r"^batch-(\d{4,})-([a-z]+)-([0-9a-f]{8})\.jsonl$")
RECORD_KEYS = ("_id", "label", "annotator", "annotated_at", "ref", "trust")
MAX_LISTED = 50


@dataclass
class Batch:
    """One batch file: its header and its records (an Arrow table, in file order)."""

    path: Path
    header: dict[str, Any]
    table: pa.Table

    @property
    def sequence(self) -> int:
        return int(self.header["sequence"])

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records as dicts (for people and tests; builds use `table`)."""
        return [{k: r.get(k) for k in RECORD_KEYS} for r in self.table.to_pylist()]


@dataclass
class ImportResult:
    """What an import did: the batch written (None for a no-op) and what it skipped."""

    batch: Batch | None
    new: int
    unchanged: int
    skipped: dict[str, int] = field(default_factory=dict)
    message: str = ""


def records_digest(lines: Iterable[str]) -> str:
    """sha256 of record lines, each followed by a newline (the bytes after the header)."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def record_line(record: dict[str, Any]) -> str:
    """A record as one canonical JSON line (known keys only, sorted)."""
    return json.dumps({k: record.get(k) for k in RECORD_KEYS}, sort_keys=True,
                      ensure_ascii=False)


class LabelStore:
    """The batches under one folder (which may not exist yet)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def batch_files(self) -> list[Path]:
        """Batch files in import order; other files in the folder are an error."""
        if not self.folder.is_dir():
            return []
        files = []
        for path in sorted(self.folder.iterdir()):
            if path.name.startswith(".") or path.name.lower() in ("readme.md", ".gitattributes"):
                continue
            if not BATCH_PATTERN.match(path.name):
                raise DataError(
                    f"{path}: not a label batch; the store {self.folder} holds only files named "
                    "batch-NNNN-<tool>-<checksum>.jsonl written by `builder label import`.")
            files.append(path)
        return sorted(files, key=lambda p: int(BATCH_PATTERN.match(p.name).group(1)))

    def batches(self) -> list[Batch]:
        """Every batch, read and verified."""
        return [read_batch(path) for path in self.batch_files()]

    def annotations(self, batches: list[Batch] | None = None) -> pd.DataFrame:
        """The current label of each (row, annotator): later batches supersede earlier ones.

        Columns `_id`, `annotator`, `label`, `trust`, `annotated_at`, `batch`, `line`, sorted by
        `_id` and annotator.
        """
        import pandas as pd
        import pyarrow as pa

        from builder.columns import table_to_pandas

        tables = []
        for batch in self.batches() if batches is None else batches:
            table = batch.table.select(["_id", "annotator", "label", "trust", "annotated_at"])
            tables.append(table.append_column("batch", pa.array([batch.path.name] * len(table),
                                                                 pa.string()))
                          .append_column("line", pa.array(range(2, len(table) + 2), pa.int64())))
        if not tables:
            return pd.DataFrame({c: pd.Series(dtype="string") for c in
                                 ["_id", "annotator", "label", "trust", "annotated_at", "batch",
                                  "line"]})
        frame = table_to_pandas(pa.concat_tables(tables))
        frame = frame.drop_duplicates(["_id", "annotator"], keep="last")
        return frame.sort_values(["_id", "annotator"], kind="stable").reset_index(drop=True)

    def next_path(self, tool: str, digest: str, batches: list[Batch]) -> tuple[int, Path]:
        sequence = max((b.sequence for b in batches), default=0) + 1
        return sequence, self.folder / f"batch-{sequence:04d}-{tool}-{digest[:8]}.jsonl"


def read_batch(path: Path) -> Batch:
    """Read one batch file and verify its header and checksum (records parsed by Arrow)."""
    import hashlib as _hashlib

    data = path.read_bytes()
    first, _, body = data.partition(b"\n")
    try:
        header = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: line 1: the header is not JSON ({error}).") from error
    if not isinstance(header, dict) or header.get("flywheel_label_batch") != FORMAT_VERSION:
        raise DataError(f"{path}: line 1: expected a batch header with "
                        f"\"flywheel_label_batch\": {FORMAT_VERSION}.")
    if (_hashlib.sha256(body).hexdigest() != header.get("records_sha256")
            or body.count(b"\n") != header.get("records") or (body and not body.endswith(b"\n"))):
        raise DataError(
            f"{path}: its records do not match the checksum in its header (was it edited?). "
            "Batches are immutable: restore it with `git checkout -- <file>`, and correct labels "
            "by importing a new batch.")
    return Batch(path=path, header=header, table=_parse_records(path, body))


def _parse_records(path: Path, body: bytes) -> pa.Table:
    import io

    import pyarrow as pa
    import pyarrow.json as pjson

    schema = pa.schema([(k, pa.float64() if k == "trust" else pa.string()) for k in RECORD_KEYS])
    if not body:
        return schema.empty_table()
    try:
        return pjson.read_json(
            io.BytesIO(body),
            read_options=pjson.ReadOptions(block_size=max(1 << 20, len(body))),
            parse_options=pjson.ParseOptions(explicit_schema=schema,
                                             unexpected_field_behavior="ignore"))
    except pa.ArrowInvalid as error:
        for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), start=2):
            try:
                json.loads(line)
            except json.JSONDecodeError as bad:
                raise DataError(f"{path}: line {number}: not JSON ({bad.msg}).") from error
        raise DataError(f"{path}: its records cannot be read ({error}).") from error


def check_records(records: list[dict[str, Any]], known_ids: set[str] | Any,
                  classes: list[str]) -> list[str]:
    """Problems with parsed records: unknown row ids or classes, duplicates. Each names where."""
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for record in records:
        where = record["where"]
        row_id, label, annotator = record["_id"], record["label"], record["annotator"]
        if row_id not in known_ids:
            problems.append(f"{where}: unknown row id '{row_id}'; expected an `_id` of the "
                            "built data (ingested/).")
        if label not in classes:
            problems.append(f"{where}: unknown class '{label}'; expected {one_of(classes)}."
                            + did_you_mean(label, classes))
        key = (row_id, annotator)
        if key in seen:
            problems.append(f"{where}: duplicate of {seen[key]} (row '{row_id}', annotator "
                            f"'{annotator}'); expected one label per annotator and row.")
        else:
            seen[key] = where
    return problems


def _position(problem: str) -> tuple[int, ...]:
    """The numbers in a problem's location ("line 12", "task 3 (id 9) annotation 2 ...")."""
    return tuple(int(n) for n in re.findall(r"\d+", problem.split(":", 1)[0]))


def problems_error(source: Path, tool: str, store: Path, problems: list[str]) -> DataError:
    """One error listing every offending line in file order (the first `MAX_LISTED`)."""
    problems = sorted(problems, key=_position)
    listed = "\n".join(f"  {p}" for p in problems[:MAX_LISTED])
    more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return DataError(f"{source} ({tool}): cannot import, {count}; nothing was written to "
                     f"{store}:\n{listed}{more}")


def import_records(store: LabelStore, records: list[dict[str, Any]], *, tool: str,
                   source: Path, imported_by: str, imported_at: str,
                   skipped: dict[str, int] | None = None) -> ImportResult:
    """Append the records that the store does not hold yet as one new batch.

    The records must have been checked (`check_records`). Returns a no-op result when the same
    source file was imported before or when every record is already in the store.
    """
    batches = store.batches()
    source_sha = artifacts.sha256_file(source)
    for batch in batches:
        if batch.header.get("source_sha256") == source_sha:
            return ImportResult(batch=None, new=0, unchanged=len(records), skipped=skipped or {},
                                message=f"{source} was already imported as {batch.path.name}; "
                                        "nothing to do.")
    current = {}
    if batches:
        frame = store.annotations(batches)
        current = dict(zip(zip(frame["_id"], frame["annotator"]), frame["label"]))
    new = [r for r in records if current.get((r["_id"], r["annotator"])) != r["label"]]
    if not new:
        return ImportResult(batch=None, new=0, unchanged=len(records), skipped=skipped or {},
                            message=f"{source}: every label is already in {store.folder}; "
                                    "nothing to do.")
    lines = [record_line(r) for r in new]
    digest = records_digest(lines)
    sequence, path = store.next_path(tool, digest, batches)
    header = {
        "flywheel_label_batch": FORMAT_VERSION,
        "sequence": sequence,
        "tool": tool,
        "source_file": source.name,
        "source_sha256": source_sha,
        "imported_by": imported_by,
        "imported_at": imported_at,
        "records": len(lines),
        "records_sha256": digest,
        "annotators": sorted({r["annotator"] for r in new}),
        "skipped": dict(sorted((skipped or {}).items())),
    }
    text = json.dumps(header, sort_keys=True, ensure_ascii=False) + "\n"
    text += "".join(line + "\n" for line in lines)
    with artifacts.atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    batch = read_batch(path)
    return ImportResult(batch=batch, new=len(new), unchanged=len(records) - len(new),
                        skipped=skipped or {},
                        message=f"{source}: {len(new)} labels written to {path}"
                                + (f" ({len(records) - len(new)} already in the store)"
                                   if len(records) > len(new) else "") + ".")
