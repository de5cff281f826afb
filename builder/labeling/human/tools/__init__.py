"""Labeling tools' file formats, both ways: review-queue exports and annotation imports.

| tool | export (what we send) | import (what comes back) |
|---|---|---|
| `labelstudio` | `tasks.json` with pre-annotations (`predictions` with `score`), `labeling_config.xml` | the project export JSON: tasks with `annotations` (`completed_by` an id or a user object; `was_cancelled` ones are skipped) |
| `mturk` | batch input `input.csv` and the HIT layout `question.html` (crowd-html `crowd-classifier`) | batch results CSV: `Input.*`, `Answer.*` (flattened `Answer.label.label` or `Answer.taskAnswers` JSON), `WorkerId`, `AssignmentStatus` (rejected assignments skipped) |
| `appen` | job data `job.csv` and its CML `job.cml` | full report CSV: one judgment per line with `_worker_id`, `_trust`, `_tainted`, `_golden` (tainted judgments and test questions skipped) |
| `scale` | categorization task payloads, `tasks.jsonl` | task objects (JSON Lines, a JSON list, or a `{"docs": [...]}` page) with `status` and `response.category` |
| `csv` | `queue.csv` with empty `label` and `annotator` columns | the same columns filled in (`row_id`, `label`, `annotator`) |
| `vertex` | Vertex AI dataset import `import.jsonl` (image or text classification; row id in `dataItemResourceLabels`) | the dataset's export JSON Lines (`classificationAnnotation.displayName`) |

Image tasks: every tool also writes the queued images to `images/` and shows them (`tools.images`).

One module per tool, registered in `builder.labeling.human.config.LABELING_TOOLS` under its
`--tool` name; importing this package registers them all. `get_tool` returns one.
"""

from builder.labeling.human.tools import (  # noqa: F401
    appen,
    labelstudio,
    mturk,
    plain_csv,
    scale,
    vertex,
)
from builder.labeling.human.tools.base import (  # noqa: F401 (the package's interface)
    ANSWER,
    ROW_ID,
    ExportRequest,
    Parsed,
    Tool,
    get_tool,
)
