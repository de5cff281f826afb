"""The recipe schema: one dataclass per section, checked by `builder.recipe.validate`.

Named things (sources, transforms, labeling functions) are mappings from a name to a config whose
`type:` key picks a class from a registry; the base config classes below carry the keys every
type shares and point at their registry through the `registry` class variable.

A config class may define `check(self, ctx)` yielding `(relative key, message)` pairs for
problems that a type annotation cannot express (a regex that does not compile, a missing file).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from builder.errors import did_you_mean, one_of
from builder.recipe.registry import SOURCES, TRANSFORMS, Registry

# Sections owned by their step packages (config modules import nothing heavy).
from builder.balance.config import BalanceConfig  # noqa: E402
from builder.engine.config import EngineConfig, engine_config  # noqa: E402
from builder.export.config import PublishConfig  # noqa: E402
from builder.labeling.config import LabelingConfig  # noqa: E402
from builder.synthetic.config import SyntheticConfig  # noqa: E402

Problems = Iterator[tuple[str, str]]

#: Column types accepted by `cast:` options, mapped to pandas dtypes.
CAST_TYPES = {
    "string": "string",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "category": "category",
    "datetime": "datetime64[ns]",
}

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class CheckContext:
    """What `check` methods may look at: the project root and the whole recipe."""

    root: Path
    recipe: Recipe


def check_cast(cast: dict[str, str], key: str = "cast") -> Problems:
    """Problems with a `{column: type}` cast mapping."""
    for column, type_name in cast.items():
        if type_name not in CAST_TYPES:
            names = ", ".join(f"'{n}'" for n in CAST_TYPES)
            yield f"{key}.{column}", (f"found '{type_name}', expected one of {names}."
                                      + did_you_mean(type_name, CAST_TYPES))


def check_rename(rename: dict[str, str], key: str = "rename") -> Problems:
    """Problems with an `{old: new}` rename mapping: two columns renamed to one name."""
    targets: dict[str, str] = {}
    for old, new in rename.items():
        if new in targets:
            yield f"{key}.{old}", (
                f"renames to '{new}' like '{targets[new]}' does; expected distinct names.")
        targets[new] = old


@dataclass(kw_only=True)
class TaskConfig:
    """What the dataset is for: the text (or image) and label columns and the class names."""

    type: Literal["text-classification", "tabular-classification",
                  "image-classification"] = "text-classification"
    text: str | None = None
    image: str | None = None
    label: str = "label"
    classes: list[str] = field(default_factory=list)
    features: list[str] | None = None

    def check(self, ctx: CheckContext) -> Problems:
        if self.type == "text-classification" and not self.text:
            yield "text", "is missing; a text-classification task names its text column."
        if self.type == "image-classification" and not self.image:
            yield "image", "is missing; an image-classification task names its image column."
        if self.image is not None and self.type != "image-classification":
            yield "image", (f"found '{self.image}' in a {self.type} task; expected no image "
                            "column, or type: image-classification.")
        if len(self.classes) < 2:
            yield "classes", f"found {len(self.classes)} class(es), expected at least 2 names."
        seen: set[str] = set()
        for name in self.classes:
            if name in seen:
                yield "classes", f"found the class '{name}' twice, expected unique names."
            seen.add(name)
        if self.text is not None and self.text == self.label:
            yield "label", f"found '{self.label}', the text column too; expected another column."
        for i, column in enumerate(self.features or []):
            if column == self.label:
                yield f"features[{i}]", (f"found the label column '{column}'; expected data "
                                         "columns only (the label is always published).")
            elif column in (self.features or [])[:i]:
                yield f"features[{i}]", f"found '{column}' twice; expected each column once."


@dataclass(kw_only=True)
class SourceConfig:
    """Keys shared by every source type."""

    registry: ClassVar[Registry] = SOURCES
    type: str
    rename: dict[str, str] = field(default_factory=dict)
    cast: dict[str, str] = field(default_factory=dict)
    columns: list[str] | None = None
    key: list[str] | None = None
    label_map: dict[str, str] = field(default_factory=dict)

    def input_files(self, root: Path) -> list[Path]:
        """Files whose content decides what this source reads (fingerprinted for DVC)."""
        return []

    def check(self, ctx: CheckContext) -> Problems:
        yield from check_cast(self.cast)
        classes = ctx.recipe.task.classes
        for raw, name in self.label_map.items():
            if name not in classes:
                yield f"label_map.{raw}", (
                    f"found '{name}', expected a class of task.classes ({one_of(classes)})."
                    + did_you_mean(name, classes)
                )
        yield from check_rename(self.rename)


@dataclass(kw_only=True)
class TransformConfig:
    """Keys shared by every transform type."""

    registry: ClassVar[Registry] = TRANSFORMS
    type: str


@dataclass(kw_only=True)
class SplitConfig:
    """Named split fractions, assigned from a hash of each row's `_id` (or group) and a seed."""

    fractions: dict[str, float] = field(
        default_factory=lambda: {"train": 0.8, "validation": 0.1, "test": 0.1}
    )
    stratify: bool = True
    group: str | None = None
    seed: int | None = None

    def check(self, ctx: CheckContext) -> Problems:
        if "train" not in self.fractions:
            yield "fractions", f"found splits {sorted(self.fractions)}, expected one named 'train'."
        for name, fraction in self.fractions.items():
            if not NAME_PATTERN.match(name):
                yield f"fractions.{name}", "is not a valid split name; use letters, digits, _ or -."
            if not 0 < fraction <= 1:
                yield f"fractions.{name}", f"found {fraction}, expected a fraction in (0, 1]."
        total = sum(self.fractions.values())
        if self.fractions and not math.isclose(total, 1.0, abs_tol=1e-6):
            parts = " + ".join(f"{n} {f:g}" for n, f in self.fractions.items())
            yield "fractions", (
                f"found fractions summing to {total:g} ({parts}), expected 1. A preset's splits "
                "stay unless set to null (`validation: null`), or pick a preset: split=train_test."
            )


@dataclass(kw_only=True)
class ChecksConfig:
    """What a build must keep, or it fails (`builder.checks`).

    `min_rows`: rows each split must hold (a number for every split, or per split name;
    at least 1: an empty split makes a Hub folder `load_dataset` cannot read). `max_drop`:
    the share of its input rows a step may drop (a number for every step, or per step name:
    a source, a transform, `label`); a recipe that expects a step to drop everything says
    `max_drop: {label: 1.0}`."""

    min_rows: int | dict[str, int] = 1
    max_drop: float | dict[str, float] = 0.9

    def min_rows_for(self, split: str) -> int:
        if isinstance(self.min_rows, dict):
            return self.min_rows.get(split, 1)
        return self.min_rows

    def max_drop_for(self, step: str) -> float:
        if isinstance(self.max_drop, dict):
            return self.max_drop.get(step, 0.9)
        return self.max_drop

    def check(self, ctx: CheckContext) -> Problems:
        recipe = ctx.recipe
        splits = list(recipe.split.fractions)
        counts = self.min_rows if isinstance(self.min_rows, dict) else {"": self.min_rows}
        for name, count in counts.items():
            key = f"min_rows.{name}" if name else "min_rows"
            if name and name not in splits:
                yield key, (f"found the split '{name}', expected one of split.fractions: "
                            f"{one_of(splits)}." + did_you_mean(name, splits))
            elif count < 1:
                yield key, (f"found {count}, expected at least 1: an empty split makes a Hub "
                            "folder that load_dataset cannot read.")
        steps = [*recipe.sources, *recipe.transforms, "label"]
        drops = self.max_drop if isinstance(self.max_drop, dict) else {"": self.max_drop}
        for name, share in drops.items():
            key = f"max_drop.{name}" if name else "max_drop"
            if name and name not in steps:
                yield key, (f"found the step '{name}', expected a source, a transform or "
                            f"'label': {one_of(steps)}." + did_you_mean(name, steps))
            elif not 0 <= share <= 1:
                yield key, f"found {share}, expected a share of the step's rows in [0, 1]."


@dataclass(kw_only=True)
class Recipe:
    """A whole recipe, as composed by Hydra from `recipes/<name>.yaml` and `conf/` presets."""

    name: str
    seed: int = 0
    task: TaskConfig
    sources: dict[str, SourceConfig]
    transforms: dict[str, TransformConfig] = field(default_factory=dict)
    labeling: LabelingConfig = field(default_factory=LabelingConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    balance: BalanceConfig = field(default_factory=BalanceConfig)
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    engine: Literal["local", "dask"] | EngineConfig = "local"
    checks: ChecksConfig = field(default_factory=ChecksConfig)

    def __post_init__(self) -> None:
        # `engine: local` and a missing engine (a resolved recipe.yaml) are `{type: local}`.
        self.engine = engine_config(self.engine)

    def check(self, ctx: CheckContext) -> Problems:
        if not NAME_PATTERN.match(self.name):
            yield "name", f"found '{self.name}', expected letters, digits, '_', '-' or '.'."
        if not self.sources:
            yield "sources", "is empty; expected at least one source."
        if self.task.type == "image-classification":
            yield from text_only_options(self)

    @property
    def engine_config(self) -> EngineConfig:
        """Where the stages run (`builder.engine`); never changes what they produce."""
        return engine_config(self.engine)

    @property
    def split_seed(self) -> int:
        """The split's own seed, or the recipe seed when the split names none."""
        return self.seed if self.split.seed is None else self.split.seed


#: Labeling function kinds that read text, which an image task has none of.
TEXT_FUNCTION_KINDS = ("keyword", "regex")


def text_only_options(recipe: Recipe) -> Problems:
    """An image-classification task's options that only work on text or tabular rows: SMOTE
    (interpolates feature values, not pixels) and text labeling functions."""
    strategies = recipe.balance.strategy
    named = {"": strategies} if isinstance(strategies, str) else dict(strategies)
    for name, strategy in named.items():
        if strategy == "smote":
            yield f"balance.strategy{'.' + name if name else ''}", (
                "is 'smote', which interpolates feature values and cannot make images; "
                "expected oversample (with `augment:` for new pictures) or undersample.")
    pseudo = recipe.labeling.pseudo
    if pseudo is not None and pseudo.type in ("auto", "image"):
        kind = pseudo.encoder if isinstance(pseudo.encoder, str) else pseudo.encoder.type
        if kind != "image":
            yield "labeling.pseudo.encoder", (
                f"is '{kind}', a text encoder, in an image-classification task; expected "
                "{type: image, model: <a CLIP or vision model id or folder>}.")
    for name, function in recipe.labeling.functions.items():
        if getattr(function, "type", None) in TEXT_FUNCTION_KINDS:
            yield f"labeling.functions.{name}.type", (
                f"is '{function.type}', a text labeling function, in an image-classification "
                "task; expected python, expression, threshold or lookup functions over the "
                "image's metadata and statistics.")
