"""What every labeling tool shares: the export request, the parsed records, CSV and JSON helpers,
and the `Tool` base class; `get_tool` finds a tool in `LABELING_TOOLS`.

Every exported row carries our `_id` as `row_id`, so imports need no mapping table. Parsers
return records (`_id`, `label`, `annotator`, `annotated_at`, `ref`, `trust`, `where`), the
problems they met (each naming its line, task or judgment) and counts of what they skipped and
why; `store.check_records` then checks the records against the data.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from builder.errors import DataError, did_you_mean, one_of
from builder.labeling.human.config import LABELING_TOOLS

if TYPE_CHECKING:
    import pandas as pd

    from builder.recipe.schema import TaskConfig

#: The column that carries our row id in every exported file.
ROW_ID = "row_id"
#: The name of the answer field in every exported task (Label Studio `Choices`, the MTurk
#: classifier, the Appen CML question, the CSV column).
ANSWER = "label"


@dataclass
class Parsed:
    """What a parser read from a tool's file."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, where: str, row_id: Any, label: Any, annotator: Any, *, annotated_at: Any = None,
            ref: Any = None, trust: Any = None) -> None:
        """Add a record, or a problem when its row id, label or annotator is missing."""
        missing = [name for name, value in (("row id", row_id), ("label", label),
                                            ("annotator", annotator)) if blank(value)]
        if missing:
            self.problems.append(f"{where}: no {' and no '.join(missing)}; expected each "
                                 "record to name its row, its class and its annotator.")
            return
        self.records.append({
            "_id": str(row_id).strip(), "label": str(label).strip(),
            "annotator": str(annotator).strip(),
            "annotated_at": None if blank(annotated_at) else str(annotated_at),
            "ref": None if blank(ref) else str(ref),
            "trust": None if blank(trust) else float(trust),
            "where": where,
        })


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and value != value)


@dataclass
class ExportRequest:
    """The rows to send (from the review queue) and how to present them."""

    rows: pd.DataFrame  # _id, content columns, prediction, score
    task: TaskConfig
    instructions: str
    content_columns: list[str]
    strategy: str
    model_version: str = "flywheel"
    #: Where image tasks' exported images are served from (`labeling.human.image_url_prefix`).
    image_url_prefix: str | None = None

    @property
    def is_text(self) -> bool:
        return self.task.type == "text-classification" and self.task.text is not None

    @property
    def is_image(self) -> bool:
        """An image task: tools show the image (`tools.images`), the other columns beside it."""
        return self.task.image is not None and self.task.image in self.rows.columns

    def content(self) -> list[Any]:
        """Per row: the text, or for tabular tasks a {column: value} mapping (for image tasks,
        of the columns besides the image)."""
        if self.is_text:
            return [None if blank(v) else str(v) for v in self.rows[self.task.text]]
        columns = [c for c in self.content_columns if c != self.task.image]
        records = self.rows[columns].astype(object).where(
            self.rows[columns].notna(), None).to_dict("records")
        return [{k: plain(v) for k, v in r.items()} for r in records]

    def content_text(self) -> list[str]:
        """Per row: the text, or `column: value` lines for tabular tasks."""
        if self.is_text:
            return ["" if v is None else v for v in self.content()]
        return ["\n".join(f"{k}: {'' if v is None else v}" for k, v in r.items())
                for r in self.content()]

    def table_rows(self) -> list[tuple[str, str, Any, Any]]:
        """(row id, content as text, prediction or "", score or "") per row, for flat files."""
        return [(str(row_id), text, "" if label is None else label, "" if score is None else score)
                for row_id, text, (label, score) in zip(self.rows["_id"], self.content_text(),
                                                        self.predictions())]

    def predictions(self) -> list[tuple[str | None, float | None]]:
        labels = self.rows["prediction"].astype(object).where(self.rows["prediction"].notna(), None)
        scores = self.rows["score"].astype(object).where(self.rows["score"].notna(), None)
        return [(lab, None if s is None else round(float(s), 6)) for lab, s in zip(labels, scores)]


def plain(value: Any) -> Any:
    """A JSON-friendly scalar (numpy numbers to Python, timestamps to ISO strings)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    """A UTF-8 CSV file: a header line, then the rows, each line ending in a newline."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def read_csv(path: Path, tool: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) pairs; the line is where the record starts."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path} ({tool}): is not UTF-8 text ({error.reason}).") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{path} ({tool}): is empty; expected a CSV header line.") from None
    rows = []
    start = reader.line_num + 1
    try:
        for values in reader:
            if values:
                if len(values) != len(header):
                    rows.append((start, {"__bad__": f"{len(values)} fields, expected "
                                                    f"{len(header)} like the header"}))
                else:
                    rows.append((start, dict(zip(header, values))))
            start = reader.line_num + 1
    except csv.Error as error:
        raise DataError(f"{path} ({tool}): line {reader.line_num}: not valid CSV ({error}).") \
            from error
    return header, rows


def good_rows(parsed: Parsed, rows: list[tuple[int, dict[str, str]]]):
    """(where, row) for each well-formed CSV row; malformed ones become problems."""
    for line, row in rows:
        where = f"line {line}"
        if "__bad__" in row:
            parsed.problems.append(f"{where}: {row['__bad__']}.")
            continue
        yield where, row


def require_columns(path: Path, tool: str, header: list[str], needed: list[str],
                    what: str) -> None:
    """A clear error when a tool's file lacks a column the parser needs."""
    missing = [c for c in needed if c not in header]
    if missing:
        raise DataError(f"{path} ({tool}): has no column {', '.join(repr(m) for m in missing)}; "
                        f"expected {what}. Its columns: {', '.join(header[:40])}.")


class Tool:
    """A labeling tool: `export` writes files for it, `parse` reads what it gives back.

    A tool is one module of `builder.labeling.human.tools` whose class is registered in
    `LABELING_TOOLS` under its `--tool` name.
    """

    #: The tool's `--tool` name (set by `LABELING_TOOLS.register`).
    type_name: ClassVar[str]
    description: ClassVar[str]

    @property
    def name(self) -> str:
        return self.type_name

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        raise NotImplementedError

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        raise NotImplementedError


def load_json(path: Path, tool: str) -> Any:
    """A JSON document; a clear error (file, tool, line) when it is not one."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(f"{path} ({tool}): line {error.lineno}: not valid JSON "
                        f"({error.msg}).") from error
    except UnicodeDecodeError as error:
        raise DataError(f"{path} ({tool}): is not UTF-8 text ({error.reason}).") from error


def get_tool(name: str) -> Tool:
    """The tool called `name`; a clear error otherwise."""
    names = LABELING_TOOLS.names()
    if name not in names:
        raise DataError(f"unknown labeling tool '{name}'; expected {one_of(names)}."
                        + did_you_mean(name, names))
    return LABELING_TOOLS.get(name)()
