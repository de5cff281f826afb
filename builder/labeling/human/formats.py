"""Labeling tools' file formats, both ways: review-queue exports and annotation imports.

| tool | export (what we send) | import (what comes back) |
|---|---|---|
| `labelstudio` | `tasks.json` with pre-annotations (`predictions` with `score`), `labeling_config.xml` | the project export JSON: tasks with `annotations` (`completed_by` an id or a user object; `was_cancelled` ones are skipped) |
| `mturk` | batch input `input.csv` and the HIT layout `question.html` (crowd-html `crowd-classifier`) | batch results CSV: `Input.*`, `Answer.*` (flattened `Answer.label.label` or `Answer.taskAnswers` JSON), `WorkerId`, `AssignmentStatus` (rejected assignments skipped) |
| `appen` | job data `job.csv` and its CML `job.cml` | full report CSV: one judgment per line with `_worker_id`, `_trust`, `_tainted`, `_golden` (tainted judgments and test questions skipped) |
| `scale` | categorization task payloads, `tasks.jsonl` | task objects (JSON Lines, a JSON list, or a `{"docs": [...]}` page) with `status` and `response.category` |
| `csv` | `queue.csv` with empty `label` and `annotator` columns | the same columns filled in (`row_id`, `label`, `annotator`) |

Every exported row carries our `_id` as `row_id`, so imports need no mapping table. Parsers
return records (`_id`, `label`, `annotator`, `annotated_at`, `ref`, `trust`, `where`), the
problems they met (each naming its line, task or judgment) and counts of what they skipped and
why; `store.check_records` then checks the records against the data.
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from xml.sax.saxutils import quoteattr

from builder.errors import DataError, one_of

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
                                            ("annotator", annotator)) if _blank(value)]
        if missing:
            self.problems.append(f"{where}: no {' and no '.join(missing)}; expected each "
                                 "record to name its row, its class and its annotator.")
            return
        self.records.append({
            "_id": str(row_id).strip(), "label": str(label).strip(),
            "annotator": str(annotator).strip(),
            "annotated_at": None if _blank(annotated_at) else str(annotated_at),
            "ref": None if _blank(ref) else str(ref),
            "trust": None if _blank(trust) else float(trust),
            "where": where,
        })


def _blank(value: Any) -> bool:
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

    @property
    def is_text(self) -> bool:
        return self.task.type == "text-classification" and self.task.text is not None

    def content(self) -> list[Any]:
        """Per row: the text, or for tabular tasks a {column: value} mapping."""
        if self.is_text:
            return [None if _blank(v) else str(v) for v in self.rows[self.task.text]]
        records = self.rows[self.content_columns].astype(object).where(
            self.rows[self.content_columns].notna(), None).to_dict("records")
        return [{k: _plain(v) for k, v in r.items()} for r in records]

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


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar (numpy numbers to Python, timestamps to ISO strings)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _read_csv(path: Path, tool: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
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


def _good_rows(parsed: Parsed, rows: list[tuple[int, dict[str, str]]]):
    """(where, row) for each well-formed CSV row; malformed ones become problems."""
    for line, row in rows:
        where = f"line {line}"
        if "__bad__" in row:
            parsed.problems.append(f"{where}: {row['__bad__']}.")
            continue
        yield where, row


def _require_columns(path: Path, tool: str, header: list[str], needed: list[str],
                     what: str) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise DataError(f"{path} ({tool}): has no column {', '.join(repr(m) for m in missing)}; "
                        f"expected {what}. Its columns: {', '.join(header[:40])}.")


class Tool:
    """A labeling tool: `export` writes files for it, `parse` reads what it gives back."""

    name: ClassVar[str]
    description: ClassVar[str]

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        raise NotImplementedError

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        raise NotImplementedError


class LabelStudio(Tool):
    """Label Studio: tasks JSON with predictions, a generated labeling config, export JSON."""

    name = "labelstudio"
    description = "Label Studio tasks JSON with pre-annotations, and its labeling config XML"

    @staticmethod
    def labeling_config(request: ExportRequest) -> str:
        """A `<View>` with the text (or a table of features) and one single-choice question."""
        target = "text" if request.is_text else "features"
        shown = ('  <Text name="text" value="$text"/>' if request.is_text
                 else '  <Table name="features" value="$features"/>')
        choices = "\n".join(f"    <Choice value={quoteattr(c)}/>" for c in request.task.classes)
        return (
            "<View>\n"
            f"  <Header value={quoteattr(request.instructions)}/>\n"
            f"{shown}\n"
            f'  <Choices name="{ANSWER}" toName="{target}" choice="single-radio" '
            'showInLine="true" required="true">\n'
            f"{choices}\n"
            "  </Choices>\n"
            "</View>\n"
        )

    def tasks(self, request: ExportRequest) -> list[dict[str, Any]]:
        target = "text" if request.is_text else "features"
        tasks = []
        for row_id, content, (label, score) in zip(request.rows["_id"], request.content(),
                                                   request.predictions()):
            task: dict[str, Any] = {"data": {target: content, ROW_ID: str(row_id)}}
            if label is not None:
                task["predictions"] = [{
                    "model_version": request.model_version,
                    "score": score,
                    "result": [{"from_name": ANSWER, "to_name": target, "type": "choices",
                                "value": {"choices": [label]}}],
                }]
            tasks.append(task)
        return tasks

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        tasks_path, config_path = folder / "tasks.json", folder / "labeling_config.xml"
        tasks_path.write_text(json.dumps(self.tasks(request), indent=1, ensure_ascii=False) + "\n",
                              encoding="utf-8")
        config_path.write_text(self.labeling_config(request), encoding="utf-8")
        return [tasks_path, config_path]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        tasks = _load_json(path, self.name)
        if not isinstance(tasks, list):
            raise DataError(f"{path} ({self.name}): found a JSON {type(tasks).__name__}, expected "
                            "the list of tasks that Label Studio's JSON export writes.")
        parsed = Parsed()
        for t_index, task in enumerate(tasks, start=1):
            where_task = f"task {t_index}" + (f" (id {task.get('id')})"
                                               if isinstance(task, dict) else "")
            if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
                parsed.problems.append(f"{where_task}: expected an object with `data`.")
                continue
            row_id = task["data"].get(ROW_ID)
            annotations = task.get("annotations") or []
            if not isinstance(annotations, list):
                parsed.problems.append(f"{where_task}: `annotations` is not a list.")
                continue
            for a_index, annotation in enumerate(annotations, start=1):
                where = f"{where_task} annotation {a_index}"
                if isinstance(annotation, dict) and "id" in annotation:
                    where += f" (id {annotation['id']})"
                self._annotation(parsed, where, row_id, task.get("id"), annotation)
        return parsed

    @staticmethod
    def _annotation(parsed: Parsed, where: str, row_id: Any, task_id: Any, annotation: Any) -> None:
        if not isinstance(annotation, dict):
            parsed.problems.append(f"{where}: expected an object.")
            return
        if annotation.get("was_cancelled"):
            parsed.skip("cancelled")  # a skipped task is stored as a cancelled annotation
            return
        result = annotation.get("result")
        if not isinstance(result, list):
            parsed.problems.append(f"{where}: `result` is not a list.")
            return
        choices = [r for r in result if isinstance(r, dict) and r.get("type") == "choices"]
        named = [r for r in choices if r.get("from_name") == ANSWER]
        chosen = named or choices
        if not chosen:
            parsed.skip("no choice")
            return
        values = (chosen[0].get("value") or {}).get("choices")
        if not isinstance(values, list) or len(values) != 1:
            parsed.problems.append(f"{where}: found choices {values!r}, expected exactly one "
                                   "class (a single-choice question).")
            return
        who = annotation.get("completed_by")
        if isinstance(who, dict):
            who = who.get("email") or who.get("id")
        parsed.add(where, row_id, values[0], None if _blank(who) else f"labelstudio:{who}",
                   annotated_at=annotation.get("updated_at") or annotation.get("created_at"),
                   ref=f"task {task_id} annotation {annotation.get('id')}")


class MechanicalTurk(Tool):
    """Amazon Mechanical Turk: batch input CSV plus a crowd-html layout; batch results CSV."""

    name = "mturk"
    description = "Mechanical Turk batch input CSV and a crowd-html question layout"

    def question(self, request: ExportRequest) -> str:
        """The HIT layout: a `crowd-classifier` over `${text}` (or `${features}`)."""
        variable = "${text}" if request.is_text else "${features}"
        categories = "[" + ", ".join(f"'{c}'" for c in request.task.classes) + "]"
        instructions = html.escape(request.instructions)
        return (
            '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>\n\n'
            "<crowd-form>\n"
            f'  <crowd-classifier name="{ANSWER}" categories={quoteattr(categories)}\n'
            f"                    header={quoteattr(request.instructions)}>\n"
            f'    <classification-target style="white-space: pre-wrap">{variable}'
            "</classification-target>\n"
            f"    <short-instructions>{instructions}</short-instructions>\n"
            f"    <full-instructions header=\"Instructions\"><p>{instructions}</p>\n"
            f"      <p>Classes: {html.escape(', '.join(request.task.classes))}.</p>"
            "</full-instructions>\n"
            "  </crowd-classifier>\n"
            "</crowd-form>\n"
        )

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        input_path, layout_path = folder / "input.csv", folder / "question.html"
        content = "text" if request.is_text else "features"
        rows = [[row_id, text] for row_id, text in zip(request.rows["_id"],
                                                       request.content_text())]
        _write_csv(input_path, [ROW_ID, content], rows)
        layout_path.write_text(self.question(request), encoding="utf-8")
        return [input_path, layout_path]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        header, rows = _read_csv(path, self.name)
        flat, nested = f"Answer.{ANSWER}.label", "Answer.taskAnswers"
        answer = next((c for c in (flat, nested, f"Answer.{ANSWER}") if c in header), None)
        _require_columns(path, self.name, header, [f"Input.{ROW_ID}", "WorkerId",
                                                   "AssignmentStatus"],
                         "Mechanical Turk batch results (Input.*, Answer.*, WorkerId, "
                         "AssignmentStatus)")
        if answer is None:
            raise DataError(f"{path} ({self.name}): has no answer column; expected '{flat}' "
                            f"(flattened classifier answers) or '{nested}'. Its columns: "
                            f"{', '.join(header[:40])}.")
        parsed = Parsed()
        for where, row in _good_rows(parsed, rows):
            status = row["AssignmentStatus"].strip()
            if status == "Rejected" or row.get("Reject", "").strip():
                parsed.skip("rejected")
                continue
            if status not in ("Submitted", "Approved"):
                parsed.problems.append(f"{where}: AssignmentStatus '{status}', expected "
                                       "Submitted, Approved or Rejected.")
                continue
            label = row[answer]
            if answer == nested:
                label = self._task_answer(parsed, where, label)
                if label is _INVALID:
                    continue
            parsed.add(where, row[f"Input.{ROW_ID}"], label,
                       f"mturk:{row['WorkerId'].strip()}" if row["WorkerId"].strip() else None,
                       annotated_at=row.get("SubmitTime"), ref=row.get("AssignmentId"))
        return parsed

    @staticmethod
    def _task_answer(parsed: Parsed, where: str, text: str) -> Any:
        """The class from `Answer.taskAnswers`: `[{"label": {"label": "fresh"}}]`."""
        try:
            answers = json.loads(text)
            value = answers[0][ANSWER]
            return value["label"] if isinstance(value, dict) else value
        except (json.JSONDecodeError, LookupError, TypeError):
            parsed.problems.append(f"{where}: Answer.taskAnswers is {text[:60]!r}; expected "
                                   f"JSON like [{{\"{ANSWER}\": {{\"label\": \"<class>\"}}}}].")
            return _INVALID


_INVALID = object()


class Appen(Tool):
    """Appen (Figure Eight): job data CSV and CML; full report CSV of judgments."""

    name = "appen"
    description = "Appen job data CSV and its CML question"

    def cml(self, request: ExportRequest) -> str:
        shown = "{{text}}" if request.is_text else "{{features}}"
        radios = "\n".join(f"  <cml:radio label={quoteattr(c)} value={quoteattr(c)} />"
                           for c in request.task.classes)
        return (f'<div class="well" style="white-space: pre-wrap">{shown}</div>\n'
                f'<cml:radios label={quoteattr(request.instructions)} name="{ANSWER}" '
                'validates="required" gold="true">\n'
                f"{radios}\n</cml:radios>\n")

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        data_path, cml_path = folder / "job.csv", folder / "job.cml"
        content = "text" if request.is_text else "features"
        _write_csv(data_path, [ROW_ID, content, "prediction", "prediction_score"],
                   [list(row) for row in request.table_rows()])
        cml_path.write_text(self.cml(request), encoding="utf-8")
        return [data_path, cml_path]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        header, rows = _read_csv(path, self.name)
        _require_columns(path, self.name, header, [ROW_ID, ANSWER, "_worker_id"],
                         "an Appen full report (one judgment per line: _unit_id, _id, "
                         f"_worker_id, _trust, ..., the answer '{ANSWER}' and the unit data)")
        parsed = Parsed()
        for where, row in _good_rows(parsed, rows):
            if row.get("_tainted", "").strip().lower() == "true":
                parsed.skip("tainted")  # the contributor was flagged as untrusted
                continue
            if row.get("_golden", "").strip().lower() == "true":
                parsed.skip("golden")  # a test question, not one of our rows
                continue
            trust = row.get("_trust", "").strip()
            try:
                trust_value = float(trust) if trust else None
            except ValueError:
                parsed.problems.append(f"{where}: _trust is '{trust}', expected a number.")
                continue
            worker = row["_worker_id"].strip()
            parsed.add(where, row[ROW_ID], row[ANSWER], f"appen:{worker}" if worker else None,
                       annotated_at=row.get("_created_at"), ref=row.get("_id"), trust=trust_value)
        return parsed


class Scale(Tool):
    """Scale AI: categorization task payloads (JSON Lines); completed task objects back."""

    name = "scale"
    description = "Scale categorization task payloads as JSON Lines"

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        path = folder / "tasks.jsonl"
        lines = []
        for row_id, text, (label, score) in zip(request.rows["_id"], request.content_text(),
                                                request.predictions()):
            payload = {
                "instruction": request.instructions,
                "attachment_type": "text",
                "attachment": text,
                "categories": list(request.task.classes),
                "unique_id": str(row_id),
                "metadata": {ROW_ID: str(row_id), "prediction": label,
                             "prediction_score": score, "queue": request.strategy},
            }
            lines.append(json.dumps(payload, ensure_ascii=False))
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return [path]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        parsed = Parsed()
        for where, task in self._tasks(path, parsed):
            if not isinstance(task, dict):
                parsed.problems.append(f"{where}: expected a task object.")
                continue
            status = task.get("status")
            if status != "completed":
                parsed.skip(str(status or "no status"))
                continue
            metadata = task.get("metadata") if isinstance(task.get("metadata"), dict) else {}
            row_id = metadata.get(ROW_ID) or task.get("unique_id")
            response = task.get("response") if isinstance(task.get("response"), dict) else {}
            category = response.get("category")
            if isinstance(category, list):
                parsed.problems.append(f"{where}: response.category is a list {category!r}; "
                                       "expected one class (allow_multiple false).")
                continue
            parsed.add(where, row_id, category, annotator or "scale",
                       annotated_at=task.get("completed_at"), ref=task.get("task_id"))
        return parsed

    def _tasks(self, path: Path, parsed: Parsed) -> list[tuple[str, Any]]:
        """(where, task) pairs from a JSON list, a `{"docs": [...]}` page, or JSON Lines."""
        text = path.read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None  # JSON Lines: one task object per line
        if isinstance(document, dict):
            document = document["docs"] if "docs" in document else [document]
        if isinstance(document, list):
            return [(f"task {i}", item) for i, item in enumerate(document, start=1)]
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as error:
                parsed.problems.append(f"line {number}: not JSON ({error.msg}).")
        return items


class PlainCsv(Tool):
    """A plain CSV: `row_id`, the content, the prediction, and `label`/`annotator` to fill in."""

    name = "csv"
    description = "a plain CSV with empty label and annotator columns to fill in"

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        path = folder / "queue.csv"
        content = "text" if request.is_text else "features"
        _write_csv(path, [ROW_ID, content, "prediction", "prediction_score", ANSWER,
                          "annotator"], [[*row, "", ""] for row in request.table_rows()])
        return [path]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        header, rows = _read_csv(path, self.name)
        _require_columns(path, self.name, header, [ROW_ID, ANSWER],
                         f"columns '{ROW_ID}' and '{ANSWER}' (and 'annotator', or --annotator)")
        if "annotator" not in header and not annotator:
            raise DataError(f"{path} ({self.name}): has no 'annotator' column; add one, or name "
                            "the annotator with --annotator.")
        parsed = Parsed()
        for where, row in _good_rows(parsed, rows):
            if _blank(row[ANSWER]):
                parsed.skip("blank label")
                continue
            who = row.get("annotator") or annotator
            parsed.add(where, row[ROW_ID], row[ANSWER], who,
                       annotated_at=row.get("annotated_at"), ref=row.get("ref"))
        return parsed


def _load_json(path: Path, tool: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(f"{path} ({tool}): line {error.lineno}: not valid JSON "
                        f"({error.msg}).") from error
    except UnicodeDecodeError as error:
        raise DataError(f"{path} ({tool}): is not UTF-8 text ({error.reason}).") from error


TOOLS: dict[str, Tool] = {tool.name: tool for tool in
                          (LabelStudio(), MechanicalTurk(), Appen(), Scale(), PlainCsv())}


def get_tool(name: str) -> Tool:
    """The tool called `name`; a clear error otherwise."""
    if name not in TOOLS:
        raise DataError(f"unknown labeling tool '{name}'; expected {one_of(TOOLS)}.")
    return TOOLS[name]
