"""`--tool csv`: a plain CSV. Export: `queue.csv` with empty `label` and `annotator` columns.
Import: the same columns filled in (`row_id`, `label`, `annotator`)."""

from __future__ import annotations

from pathlib import Path

from builder.errors import DataError
from builder.labeling.human.config import LABELING_TOOLS
from builder.labeling.human.tools.base import (ANSWER, ROW_ID, ExportRequest, Parsed, Tool,
                                              blank, good_rows, read_csv, require_columns,
                                              write_csv)
from builder.labeling.human.tools.images import IMAGES, image_urls, write_images


@LABELING_TOOLS.register("csv")
class PlainCsv(Tool):
    """A plain CSV: `row_id`, the content, the prediction, and `label`/`annotator` to fill in."""

    description = "a plain CSV with empty label and annotator columns to fill in"

    def export(self, request: ExportRequest, folder: Path) -> list[Path]:
        path = folder / "queue.csv"
        content = "text" if request.is_text else "features"
        rows = [[*row, "", ""] for row in request.table_rows()]
        if request.is_image:  # the image's file (or URL) beside its other columns
            content = "image"
            urls = image_urls(request, write_images(request, folder))
            rows = [[row[0], url, *row[2:]] for row, url in zip(rows, urls)]
        write_csv(path, [ROW_ID, content, "prediction", "prediction_score", ANSWER,
                         "annotator"], rows)
        return [path, *([folder / IMAGES] if request.is_image else [])]

    def parse(self, path: Path, annotator: str | None = None) -> Parsed:
        header, rows = read_csv(path, self.name)
        require_columns(path, self.name, header, [ROW_ID, ANSWER],
                        f"columns '{ROW_ID}' and '{ANSWER}' (and 'annotator', or --annotator)")
        if "annotator" not in header and not annotator:
            raise DataError(f"{path} ({self.name}): has no 'annotator' column; add one, or name "
                            "the annotator with --annotator.")
        parsed = Parsed()
        for where, row in good_rows(parsed, rows):
            if blank(row[ANSWER]):
                parsed.skip("blank label")
                continue
            who = row.get("annotator") or annotator
            parsed.add(where, row[ROW_ID], row[ANSWER], who,
                       annotated_at=row.get("annotated_at"), ref=row.get("ref"))
        return parsed
