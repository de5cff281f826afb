"""`--tool vertex`: Vertex AI datasets (the successor of Google's data labeling service), in the
JSON Lines import/export schema of single-label image and text classification.

Export: `import.jsonl`, one data item per line, unlabeled (`imageGcsUri` under the recipe's
`labeling.human.image_url_prefix`, a `gs://` folder to which `images/` is uploaded; or
`textContent` for text), with our row id in `dataItemResourceLabels` (`flywheel_row`: the id in
lower-case base32, as label values allow). Import: the dataset's export JSON Lines, items with a
`classificationAnnotation` (or a one-element `classificationAnnotations`); the row comes from
`flywheel_row` or the image's file name.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from builder.errors import DataError
from builder.labeling.human.config import LABELING_TOOLS
from builder.labeling.human.tools.base import ExportRequest, Parsed, Tool
from builder.labeling.human.tools.images import file_stem, image_urls, row_id_of, write_images

#: The data item label that carries our row id (base32).
ROW_LABEL = "flywheel_row"
#: Vertex AI's schemas for single-label classification imports.
IMAGE_SCHEMA = ("gs://google-cloud-aiplatform/schema/dataset/ioformat/"
                "image_classification_single_label_io_format_1.0.0.yaml")
TEXT_SCHEMA = ("gs://google-cloud-aiplatform/schema/dataset/ioformat/"
               "text_classification_single_label_io_format_1.0.0.yaml")
#: The longest value of a Vertex AI resource label.
LABEL_VALUE_MAX = 63


@LABELING_TOOLS.register("vertex")
class Vertex(Tool):
    """Vertex AI datasets: import JSON Lines (image or text classification); export JSON Lines
    of annotated items back."""

    description = "Vertex AI dataset import JSON Lines (image or text classification)"

    def items(self, request: ExportRequest, folder: Path) -> list[dict[str, Any]]:
        if request.is_image:
            prefix = request.image_url_prefix or ""
            if not prefix.startswith("gs://"):
                raise DataError(
                    "the vertex tool needs labeling.human.image_url_prefix set to the gs:// "
                    f"folder the exported images/ go to (found {prefix or 'none'}); Vertex AI "
                    "imports images from Cloud Storage only.")
            uris = image_urls(request, write_images(request, folder))
            content = [{"imageGcsUri": uri} for uri in uris]
        else:
            content = [{"textContent": text} for text in request.content_text()]
        items = []
        for row_id, item in zip(request.rows["_id"], content):
            stem = file_stem(row_id)
            if len(stem) > LABEL_VALUE_MAX:
                raise DataError(f"row {row_id}: its id is too long for a Vertex AI label "
                                f"({len(stem)} characters in base32, at most {LABEL_VALUE_MAX}); "
                                "expected ids of at most 39 characters (a shorter `key:`).")
            items.append({**item, "dataItemResourceLabels": {ROW_LABEL: stem}})
        return items

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        path = folder / "import.jsonl"
        lines = [json.dumps(item, ensure_ascii=False) for item in self.items(request, folder)]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        schema = folder / "import_schema.txt"
        schema.write_text((IMAGE_SCHEMA if request.is_image else TEXT_SCHEMA) + "\n",
                          encoding="utf-8")
        written = [path, schema]
        if request.is_image:
            written.append(folder / "images")
        return written

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        parsed = Parsed()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise DataError(f"{path} ({self.name}): is not UTF-8 text ({error.reason}).") from error
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"line {number}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                parsed.problems.append(f"{where}: not JSON ({error.msg}).")
                continue
            if not isinstance(item, dict):
                parsed.problems.append(f"{where}: expected a data item object.")
                continue
            self._item(parsed, where, item, annotator)
        return parsed

    def _item(self, parsed: Parsed, where: str, item: dict, annotator: str | None) -> None:
        annotation = item.get("classificationAnnotation")
        many = item.get("classificationAnnotations")
        if annotation is None and isinstance(many, list):
            if len(many) > 1:
                parsed.problems.append(f"{where}: {len(many)} classificationAnnotations; "
                                       "expected one class (single-label classification).")
                return
            annotation = many[0] if many else None
        if not isinstance(annotation, dict):
            parsed.skip("no annotation")
            return
        labels = item.get("dataItemResourceLabels") or {}
        stem = labels.get(ROW_LABEL) if isinstance(labels, dict) else None
        if stem is None and isinstance(item.get("imageGcsUri"), str):
            stem = PurePosixPath(item["imageGcsUri"]).stem
        row_id = row_id_of(stem) if stem else None
        resource = annotation.get("annotationResourceLabels") or {}
        who = annotator or (resource.get("aiplatform.googleapis.com/annotation_set_name")
                            if isinstance(resource, dict) else None) or "vertex"
        parsed.add(where, row_id, annotation.get("displayName"), f"vertex:{who}",
                   ref=item.get("imageGcsUri") or stem)
