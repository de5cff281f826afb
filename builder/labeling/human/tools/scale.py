"""`--tool scale`: Scale AI. Export: categorization task payloads, `tasks.jsonl`. Import: task
objects (JSON Lines, a JSON list, or a `{"docs": [...]}` page) with `status` and
`response.category`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder.labeling.human.config import LABELING_TOOLS
from builder.labeling.human.tools.base import ROW_ID, ExportRequest, Parsed, Tool
from builder.labeling.human.tools.images import IMAGES, image_urls, write_images


@LABELING_TOOLS.register("scale")
class Scale(Tool):
    """Scale AI: categorization task payloads (JSON Lines); completed task objects back."""

    description = "Scale categorization task payloads as JSON Lines"

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        path = folder / "tasks.jsonl"
        kind, attachments = "text", request.content_text()
        if request.is_image:  # image categorization: the attachment is the image's URL
            kind, attachments = "image", image_urls(request, write_images(request, folder))
        lines = []
        for row_id, text, (label, score) in zip(request.rows["_id"], attachments,
                                                request.predictions()):
            payload = {
                "instruction": request.instructions,
                "attachment_type": kind,
                "attachment": text,
                "categories": list(request.task.classes),
                "unique_id": str(row_id),
                "metadata": {ROW_ID: str(row_id), "prediction": label,
                             "prediction_score": score, "queue": request.strategy},
            }
            lines.append(json.dumps(payload, ensure_ascii=False))
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return [path, *([folder / IMAGES] if request.is_image else [])]

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
