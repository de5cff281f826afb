"""`--tool mturk`: Amazon Mechanical Turk. Export: batch input `input.csv` and the HIT layout
`question.html` (crowd-html `crowd-classifier`). Import: the batch results CSV: `Input.*`,
`Answer.*` (flattened `Answer.label.label` or `Answer.taskAnswers` JSON), `WorkerId`,
`AssignmentStatus` (rejected assignments skipped)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from builder.errors import DataError
from builder.labeling.human.config import LABELING_TOOLS
from builder.labeling.human.tools.base import (ANSWER, ROW_ID, ExportRequest, Parsed, Tool,
                                              good_rows, read_csv, require_columns, write_csv)
from builder.labeling.human.tools.images import IMAGES, image_urls, write_images


#: What `_task_answer` returns for an answer it could not read.
_INVALID = object()


@LABELING_TOOLS.register("mturk")
class MechanicalTurk(Tool):
    """Amazon Mechanical Turk: batch input CSV plus a crowd-html layout; batch results CSV."""

    description = "Mechanical Turk batch input CSV and a crowd-html question layout"

    def question(self, request: ExportRequest) -> str:
        """The HIT layout: a `crowd-classifier` over `${text}` (or `${features}`); for image
        tasks a `crowd-image-classifier` of `${image_url}`."""
        variable = "${text}" if request.is_text else "${features}"
        categories = "[" + ", ".join(f"'{c}'" for c in request.task.classes) + "]"
        instructions = html.escape(request.instructions)
        if request.is_image:
            return (
                '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>\n\n'
                "<crowd-form>\n"
                f'  <crowd-image-classifier name="{ANSWER}" src="${{image_url}}"\n'
                f"                          categories={quoteattr(categories)}\n"
                f"                          header={quoteattr(request.instructions)}>\n"
                f"    <short-instructions>{instructions}</short-instructions>\n"
                f"    <full-instructions header=\"Instructions\"><p>{instructions}</p>\n"
                f"      <p>Classes: {html.escape(', '.join(request.task.classes))}.</p>"
                "</full-instructions>\n"
                "  </crowd-image-classifier>\n"
                "</crowd-form>\n"
            )
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
        shown = request.content_text()
        if request.is_image:  # the HIT shows the image from its URL
            content, shown = "image_url", image_urls(request, write_images(request, folder))
        rows = [[row_id, text] for row_id, text in zip(request.rows["_id"], shown)]
        write_csv(input_path, [ROW_ID, content], rows)
        layout_path.write_text(self.question(request), encoding="utf-8")
        return [input_path, layout_path, *([folder / IMAGES] if request.is_image else [])]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        header, rows = read_csv(path, self.name)
        flat, nested = f"Answer.{ANSWER}.label", "Answer.taskAnswers"
        answer = next((c for c in (flat, nested, f"Answer.{ANSWER}") if c in header), None)
        require_columns(path, self.name, header, [f"Input.{ROW_ID}", "WorkerId",
                                                  "AssignmentStatus"],
                        "Mechanical Turk batch results (Input.*, Answer.*, WorkerId, "
                        "AssignmentStatus)")
        if answer is None:
            raise DataError(f"{path} ({self.name}): has no answer column; expected '{flat}' "
                            f"(flattened classifier answers) or '{nested}'. Its columns: "
                            f"{', '.join(header[:40])}.")
        parsed = Parsed()
        for where, row in good_rows(parsed, rows):
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
