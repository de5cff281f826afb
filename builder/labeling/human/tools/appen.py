"""`--tool appen`: Appen (Figure Eight). Export: job data `job.csv` and its CML `job.cml`.
Import: the full report CSV, one judgment per line with `_worker_id`, `_trust`, `_tainted`,
`_golden` (tainted judgments and test questions skipped)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from builder.labeling.human.config import LABELING_TOOLS
from builder.labeling.human.tools.base import (ANSWER, ROW_ID, ExportRequest, Parsed, Tool,
                                              good_rows, read_csv, require_columns, write_csv)
from builder.labeling.human.tools.images import IMAGES, image_urls, write_images


@LABELING_TOOLS.register("appen")
class Appen(Tool):
    """Appen (Figure Eight): job data CSV and CML; full report CSV of judgments."""

    description = "Appen job data CSV and its CML question"

    def cml(self, request: ExportRequest) -> str:
        shown = "{{text}}" if request.is_text else "{{features}}"
        if request.is_image:
            shown = '<img src="{{image_url}}" style="max-width: 100%" />'
        radios = "\n".join(f"  <cml:radio label={quoteattr(c)} value={quoteattr(c)} />"
                           for c in request.task.classes)
        return (f'<div class="well" style="white-space: pre-wrap">{shown}</div>\n'
                f'<cml:radios label={quoteattr(request.instructions)} name="{ANSWER}" '
                'validates="required" gold="true">\n'
                f"{radios}\n</cml:radios>\n")

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        data_path, cml_path = folder / "job.csv", folder / "job.cml"
        content = "text" if request.is_text else "features"
        rows = [list(row) for row in request.table_rows()]
        if request.is_image:  # the unit shows the image from its URL
            content = "image_url"
            for row, url in zip(rows, image_urls(request, write_images(request, folder))):
                row[1] = url
        write_csv(data_path, [ROW_ID, content, "prediction", "prediction_score"], rows)
        cml_path.write_text(self.cml(request), encoding="utf-8")
        return [data_path, cml_path, *([folder / IMAGES] if request.is_image else [])]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        header, rows = read_csv(path, self.name)
        require_columns(path, self.name, header, [ROW_ID, ANSWER, "_worker_id"],
                        "an Appen full report (one judgment per line: _unit_id, _id, "
                        f"_worker_id, _trust, ..., the answer '{ANSWER}' and the unit data)")
        parsed = Parsed()
        for where, row in good_rows(parsed, rows):
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
