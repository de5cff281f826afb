"""`--tool labelstudio`: Label Studio. Export: `tasks.json` with pre-annotations (`predictions`
with `score`) and `labeling_config.xml`. Import: the project export JSON, tasks with
`annotations` (`completed_by` an id or a user object; `was_cancelled` ones are skipped)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from builder.errors import DataError
from builder.labeling.human.config import LABELING_TOOLS
from builder.labeling.human.tools.base import (ANSWER, ROW_ID, ExportRequest, Parsed, Tool, blank,
                                              load_json)
from builder.labeling.human.tools.images import IMAGES, LOCAL_FILES, image_urls, write_images


@LABELING_TOOLS.register("labelstudio")
class LabelStudio(Tool):
    """Label Studio: tasks JSON with predictions, a generated labeling config, export JSON."""

    description = "Label Studio tasks JSON with pre-annotations, and its labeling config XML"

    @staticmethod
    def target(request: ExportRequest) -> str:
        """The data key (and object tag name) of what annotators look at."""
        return "image" if request.is_image else "text" if request.is_text else "features"

    @staticmethod
    def labeling_config(request: ExportRequest) -> str:
        """A `<View>` with the text, the image (Label Studio's image classification template)
        or a table of features, and one single-choice question."""
        target = LabelStudio.target(request)
        shown = {"text": '  <Text name="text" value="$text"/>',
                 "image": '  <Image name="image" value="$image" zoom="true"/>',
                 "features": '  <Table name="features" value="$features"/>'}[target]
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

    def tasks(self, request: ExportRequest, folder: Path | None = None) -> list[dict[str, Any]]:
        target = self.target(request)
        shown = request.content()
        if request.is_image:  # served by Label Studio's local file storage (or the prefix)
            shown = image_urls(request, write_images(request, folder), LOCAL_FILES)
        tasks = []
        for row_id, content, (label, score) in zip(request.rows["_id"], shown,
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
        tasks_path.write_text(json.dumps(self.tasks(request, folder), indent=1,
                                         ensure_ascii=False) + "\n", encoding="utf-8")
        config_path.write_text(self.labeling_config(request), encoding="utf-8")
        return [tasks_path, config_path, *([folder / IMAGES] if request.is_image else [])]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        tasks = load_json(path, self.name)
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
        parsed.add(where, row_id, values[0], None if blank(who) else f"labelstudio:{who}",
                   annotated_at=annotation.get("updated_at") or annotation.get("created_at"),
                   ref=f"task {task_id} annotation {annotation.get('id')}")
