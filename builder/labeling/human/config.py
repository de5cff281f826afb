"""The `labeling.human` section: where human labels live and how they are combined.

Imported while recipes are validated, so it imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from builder.recipe.registry import Registry

if TYPE_CHECKING:
    from builder.recipe.schema import CheckContext, Problems

#: Review-queue strategies (`labeling.human.strategy`, `builder label export --strategy`), one
#: module each under `builder.labeling.human.strategies`.
QUEUE_STRATEGIES = Registry("review-queue strategy", "builder.labeling.human.strategies")
#: Labeling tools `builder label export|import --tool` speaks, one module each under
#: `builder.labeling.human.tools`.
LABELING_TOOLS = Registry("labeling tool", "builder.labeling.human.tools")


@dataclass(kw_only=True)
class HumanConfig:
    """Human labels from the label store, several annotators per row, and the review queue.

    - `store`: the folder of label batches (default `labels/<recipe name>`), kept in git.
    - `aggregate`: `majority` or `dawid_skene` (weighs annotators by their estimated quality).
    - `min_agreement`: the least share of a row's annotators that must agree with its consensus
      (rows with one annotator are exempt); `on_low_agreement` says whether a row under it
      fails the build (`fail`) or is dropped from the dataset (`drop`).
    - `strategy`, `budget`: what `builder label export` picks by default (a strategy of
      `QUEUE_STRATEGIES`), and how many rows.
    - `instructions`: the question shown to annotators in exported tasks.
    - `image_url_prefix`: where an image task's exported `images/` folder is served from
      (`https://...`, `s3://...`; `gs://...` for Vertex AI); without it, tools get paths
      relative to the export folder (Label Studio: through its local file storage).
    """

    store: str | None = None
    aggregate: Literal["majority", "dawid_skene"] = "majority"
    min_agreement: float | None = None
    on_low_agreement: Literal["fail", "drop"] = "fail"
    strategy: Annotated[str, QUEUE_STRATEGIES] = "least_confident"
    budget: int = 100
    instructions: str = "Read the text and choose the class that fits it best."
    image_url_prefix: str | None = None

    def store_dir(self, root: Path, recipe_name: str) -> Path:
        """The label store folder of a recipe."""
        if self.store is None:
            return root / "labels" / recipe_name
        path = Path(self.store)
        return path if path.is_absolute() else root / path

    def check(self, ctx: CheckContext) -> Problems:
        if self.min_agreement is not None and not 0 < self.min_agreement <= 1:
            yield "min_agreement", (
                f"found {self.min_agreement}, expected a share in (0, 1], e.g. 0.6 (three of "
                "five annotators agree with the row's consensus).")
        if self.budget < 1:
            yield "budget", f"found {self.budget}, expected at least 1 row per export."
        if self.store is not None:
            store = self.store_dir(ctx.root, ctx.recipe.name)
            if store.exists() and not store.is_dir():
                yield "store", f"found '{self.store}', which is a file; expected a folder."
        if not self.instructions.strip():
            yield "instructions", "is empty; expected the question annotators answer."
