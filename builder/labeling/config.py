"""The `labeling` section of a recipe: labeling functions, label model, pseudo-labels, errors.

Only the recipe is read here (no data, no pandas or scikit-learn): `builder validate` checks
every labeling function's pattern, class name and import path before a row is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from builder.errors import did_you_mean, one_of
from builder.labeling.encoders.base import ENCODERS, EncoderConfig, encoder_config
from builder.labeling.human.config import HumanConfig
from builder.recipe.registry import Registry

if TYPE_CHECKING:
    from pathlib import Path

    from builder.recipe.schema import CheckContext

Problems = Iterator[tuple[str, str]]

#: Labeling function kinds (`type:` of each entry under `labeling.functions`).
FUNCTIONS = Registry("labeling function", "builder.labeling.kinds")
#: Label models (`labeling.model.type`), one module each under `builder.labeling.models`.
LABEL_MODELS = Registry("label model", "builder.labeling.models")

#: Where the gold labels go when they are kept for evaluation only. Export never publishes a
#: column whose name starts with `_`, and the pseudo-labeler never reads such columns.
GOLD_COLUMN = "_gold"


def check_class(name: str | None, classes: list[str], key: str = "label") -> Problems:
    """A class name that must be one of the task's classes, with a did-you-mean."""
    if name is not None and name not in classes:
        yield key, (f"found '{name}', expected a class of task.classes ({one_of(classes)})."
                    + did_you_mean(name, classes))


def check_fraction(value: float, key: str, low_open: bool = False) -> Problems:
    """A number in [0, 1] (or (0, 1] with `low_open`)."""
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        interval = "(0, 1]" if low_open else "[0, 1]"
        yield key, f"found {value}, expected a number in {interval}."


@dataclass(kw_only=True)
class FunctionConfig:
    """Keys every labeling function has: its `type` and the class it votes for."""

    registry: ClassVar[Registry] = FUNCTIONS
    type: str
    label: str | None = None

    def check(self, ctx: CheckContext) -> Problems:
        yield from check_class(self.label, ctx.recipe.task.classes)

    def input_files(self, root: Path) -> list[Path]:
        """Files this function reads besides the rows (fingerprinted by the compose stage)."""
        return []


@dataclass(kw_only=True)
class AutoConfig:
    """`labeling.model.auto`: `min_dev_rows`, the fewest voted rows with a trusted label on
    which `type: auto` compares the models (fewer: it keeps the default model)."""

    min_dev_rows: int = 50


@dataclass(kw_only=True)
class ModelConfig:
    """How the votes of the labeling functions become one label per row.

    `type` names a model of `LABEL_MODELS`: `majority`: most votes wins; `tie_break: abstain`
    leaves ties unlabeled, `prior` gives them to the most frequent of the tied classes.
    `weighted`: votes weighted by each function's accuracy on the dev set (gold rows, see
    `labeling.gold`). `dawid_skene`: learns each function's confusion matrix and the class
    prior by EM without gold labels. `anchored_dawid_skene` (the default): the same, with EM
    held at `anchor` of the majority vote. `auto`: whichever of these is most accurate on the
    rows with a trusted label (gold dev rows, human and feedback labels) when at least
    `auto.min_dev_rows` of them got a vote, else the default.
    """

    type: Annotated[str, LABEL_MODELS] = "anchored_dawid_skene"
    tie_break: Literal["abstain", "prior"] = "abstain"
    max_iter: int = 200
    tol: float = 1e-6
    smoothing: float = 1.0
    anchor: float = 0.2
    auto: AutoConfig = field(default_factory=AutoConfig)

    def check(self, ctx: CheckContext) -> Problems:
        yield from check_fraction(self.anchor, "anchor")
        if self.auto.min_dev_rows < 1:
            yield "auto.min_dev_rows", (f"found {self.auto.min_dev_rows}, expected a positive "
                                        "integer.")
        if self.max_iter < 1:
            yield "max_iter", f"found {self.max_iter}, expected a positive integer."
        if not self.tol > 0:
            yield "tol", f"found {self.tol}, expected a positive number."
        if self.smoothing < 0:
            yield "smoothing", f"found {self.smoothing}, expected a number >= 0."


@dataclass(kw_only=True)
class GoldConfig:
    """The gold label column and what it is for.

    `use: label`: gold values are labels (`label_source: gold`). `use: evaluate`: they are kept
    only to measure the other labels, under the column `_gold`, which is never a feature, never
    trains a model and is never published. `dev_fraction` of the gold rows (chosen by a hash of
    `_id`) form the dev set that the `weighted` model learns from; they are left out of the
    evaluation.
    """

    column: str | None = None
    use: Literal["label", "evaluate"] = "label"
    dev_fraction: float = 0.0

    def check(self, ctx: CheckContext) -> Problems:
        yield from check_fraction(self.dev_fraction, "dev_fraction")
        if self.dev_fraction == 1 and self.use == "evaluate":
            yield "dev_fraction", "found 1, which leaves no gold row to evaluate; expected < 1."


@dataclass(kw_only=True)
class PseudoConfig:
    """Model-assisted labels: a scikit-learn model trained on gold, human and confident weak
    labels, predicting every row out of fold (a row is never labeled by a model that saw it).

    `type: auto` picks `text` (logistic regression on the `encoder`'s features of the task's
    text column: `tfidf`, or `{type: sentence_transformers, model, batch_size, device}`, see
    `builder.labeling.encoders`) for text tasks and `tabular` (histogram gradient boosting on
    `features`) otherwise. `sample_rows`: the most training rows (and texts, for the TF-IDF
    vocabulary) the models are fitted on; a larger table gives a sample chosen by a keyed hash
    of `_id`.

    Acceptance: a pseudo-label is accepted when the model's confidence reaches the lowest
    threshold whose precision, estimated from out-of-fold predictions on the rows that have a
    trusted or weak label, is at least `target_precision`. `min_confidence`, when set, is a
    fixed threshold instead.
    """

    type: Literal["auto", "text", "tabular"] = "auto"
    encoder: Annotated[str, ENCODERS] | EncoderConfig = "tfidf"
    target_precision: float = 0.8
    min_confidence: float | None = None
    train_min_confidence: float = 0.8
    folds: int = 5
    features: list[str] | None = None
    max_features: int = 100_000
    sample_rows: int = 200_000

    def check(self, ctx: CheckContext) -> Problems:
        if self.sample_rows < 100:
            yield "sample_rows", f"found {self.sample_rows}, expected at least 100 rows."
        if self.min_confidence is not None:
            yield from check_fraction(self.min_confidence, "min_confidence")
        yield from check_fraction(self.target_precision, "target_precision", low_open=True)
        yield from check_fraction(self.train_min_confidence, "train_min_confidence")
        if isinstance(self.encoder, str):  # `encoder: name`: that encoder's defaults
            for key, problem in encoder_config(self.encoder).check(ctx):
                yield ("encoder" if key == "type" else f"encoder.{key}"), problem
        if not 2 <= self.folds <= 20:
            yield "folds", f"found {self.folds}, expected an integer from 2 to 20."
        if self.max_features < 1:
            yield "max_features", f"found {self.max_features}, expected a positive integer."
        kind = self.type if self.type != "auto" else (
            "text" if ctx.recipe.task.type == "text-classification" else "tabular")
        if kind == "text" and not ctx.recipe.task.text:
            yield "type", "found 'text', but task.text names no text column; expected 'tabular'."
        for column in self.features or []:
            if column.startswith("_") or column == ctx.recipe.labeling.gold_column(ctx.recipe.task):
                yield "features", (f"found '{column}', a bookkeeping or gold column; expected "
                                   "data columns only (gold labels are never features).")


@dataclass(kw_only=True)
class LabelErrorsConfig:
    """Suspected label errors by confident learning on out-of-fold class probabilities.

    `action: flag` marks rows `suspect_label: true`; `drop` removes them; `review` flags them
    and clears their label so that they go to human review.
    """

    action: Literal["flag", "drop", "review"] = "flag"
    max_listed: int = 50

    def check(self, ctx: CheckContext) -> Problems:
        if self.max_listed < 0:
            yield "max_listed", f"found {self.max_listed}, expected an integer >= 0."


@dataclass(kw_only=True)
class LabelingConfig:
    """How rows get labels: gold labels, labeling functions and a label model, pseudo-labels.

    `unlabeled` is the abstain policy for rows that end without a label: `drop` them, `keep`
    them unlabeled, or hand them to the `pseudo` labeler (rows it cannot label with
    `pseudo.target_precision` are dropped). Only `keep` publishes unlabeled rows; the counts
    dropped are in the metrics, the build summary and the card. `min_confidence`: weak labels below it are not used.
    """

    functions: dict[str, FunctionConfig] = field(default_factory=dict)
    model: ModelConfig = field(default_factory=ModelConfig)
    unlabeled: Literal["drop", "keep", "pseudo"] = "drop"
    min_confidence: float = 0.0
    gold: GoldConfig = field(default_factory=GoldConfig)
    pseudo: PseudoConfig | None = None
    label_errors: LabelErrorsConfig | None = None
    human: HumanConfig = field(default_factory=HumanConfig)
    batch_size: int = 250_000

    def gold_column(self, task: Any) -> str:
        """The column holding gold labels in the ingested rows."""
        return self.gold.column or task.label

    def check(self, ctx: CheckContext) -> Problems:
        yield from check_fraction(self.min_confidence, "min_confidence")
        if self.unlabeled == "pseudo" and self.pseudo is None:
            yield "unlabeled", ("found 'pseudo', but labeling.pseudo is not set; expected a "
                                "`pseudo:` section, or 'drop' or 'keep'.")
        if self.gold.use == "evaluate" and self.gold.dev_fraction == 0 \
                and LABEL_MODELS.get(self.model.type).learns_from_dev:
            yield "model.type", (f"found '{self.model.type}', which learns from gold dev rows, "
                                 "but gold.use is 'evaluate' with gold.dev_fraction 0; expected "
                                 "a gold.dev_fraction > 0 or gold.use: label.")
        if self.batch_size < 1:
            yield "batch_size", f"found {self.batch_size}, expected a positive integer."
        features = ctx.recipe.task.features or []
        if self.gold.use == "evaluate":
            for leaked in (GOLD_COLUMN, self.gold.column):
                if leaked and leaked in features:
                    yield "gold.use", (f"is 'evaluate', but task.features lists '{leaked}', "
                                       "which would publish the evaluation-only gold labels; "
                                       "expected it left out of task.features.")

    def input_files(self, root: Path) -> list[Path]:
        """Files the labeling functions read (lookup lists, python modules) and the files of a
        local encoder model (a changed model re-runs the label stage)."""
        files: list[Path] = []
        for function in self.functions.values():
            files += function.input_files(root)
        if self.pseudo is not None:
            files += encoder_config(self.pseudo.encoder).input_files(root)
        return sorted(set(files))
