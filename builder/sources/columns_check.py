"""Every column a recipe names, checked against the sources' column names before any row is read.

Each source tells its column names cheaply (`Source.columns`: a CSV header, a parquet schema,
a query's cursor description, the first records of a JSON Lines file); the sources' renames,
column choices and the transforms are replayed on the names alone, and every name the recipe
uses is looked up where it is used: a source's `rename`, `columns`, `cast`, `key`; each
transform's columns; `task.text`, `task.label`, `task.features`, `split.group`, the labeling
functions' columns, the gold column, the pseudo-labeler's features. A miss is a `RecipeError`
(exit 2) naming the key, the columns there are and the closest one.

A source whose names cannot be known before reading (a Hub dataset) turns the check off for
the names after the sources (its own keys are checked when it is read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import RecipeError, RecipeErrors, did_you_mean
from builder.recipe.registry import SOURCES, TRANSFORMS
from builder.sources.base import LineError

#: Columns every row carries from ingest on.
BOOKKEEPING = ("_id", "_source")


@dataclass
class Checker:
    """Collects the misses of one recipe."""

    file: str
    errors: list[RecipeError] = field(default_factory=list)

    def need(self, key: str, column: str, columns: list[str], where: str) -> bool:
        """Note a miss of `column` among `columns`; True when it is there."""
        if column in columns:
            return True
        shown = [c for c in columns if c not in BOOKKEEPING]
        listed = ", ".join(f"'{c}'" for c in shown[:40]) + (", ..." if len(shown) > 40 else "")
        self.errors.append(RecipeError(
            self.file, key, f"found '{column}', which is not a column {where}; the columns "
            f"there are {listed or 'none'}." + did_you_mean(column, shown)))
        return False


def check_source(checker: Checker, name: str, config: Any, root: Path,
                 full: bool) -> list[str] | None:
    """The columns a source gives after its renames and column choice (None: unknown); with
    `full`, from all of the source where it samples (JSON Lines)."""
    source = SOURCES.get(config.type)(name, config, root)
    try:
        columns = source.all_columns() if full else source.columns()
    except LineError as error:
        raise source.error(f"cannot read {error}") from error
    if columns is None:
        return None
    key = f"sources.{name}"
    where = f"of source '{name}'"
    for old in config.rename:
        checker.need(f"{key}.rename.{old}", old, columns, where)
    columns = [config.rename.get(c, c) for c in columns]
    where += " (after its rename)" if config.rename else ""
    if config.columns is not None:
        for i, column in enumerate(config.columns):
            checker.need(f"{key}.columns[{i}]", column, columns, where)
        columns = [c for c in config.columns if c in columns]
    for column in config.cast:
        checker.need(f"{key}.cast.{column}", column, columns, where)
    for i, column in enumerate(config.key or []):
        if column != "_feedback_id":
            checker.need(f"{key}.key[{i}]", column, columns, where)
    return columns


def check_recipe_columns(recipe: Any, root: Path, file: str,
                         full: bool = False) -> list[str] | None:
    """Raise `RecipeErrors` for every column the recipe names that the data will not have.

    Returns the column names after the sources and transforms (None when a source cannot
    tell its names before it is read). A miss among names sampled from the first records is
    looked for again in every record (`full`) before it is reported."""
    checker = Checker(file)
    combined: dict[str, None] = dict.fromkeys(BOOKKEEPING)
    known = True
    for name, config in recipe.sources.items():
        columns = check_source(checker, name, config, root, full)
        if columns is None:
            known = False
            continue
        if config.label_map and not getattr(config, "maps_own_labels", False):
            checker.need(f"sources.{name}.label_map", recipe.task.label, columns,
                         f"of source '{name}' (task.label, whose values label_map maps)")
        combined.update(dict.fromkeys(columns))
    columns = list(combined)
    if known:
        for name, config in recipe.sources.items():
            for j, column in enumerate(getattr(config, "dedup_on", None) or []):
                checker.need(f"sources.{name}.dedup_on[{j}]", column, columns,
                             "of the sources")
        columns = check_transforms(checker, recipe, columns)
        check_task(checker, recipe, root, columns)
    if checker.errors:
        if not full:
            return check_recipe_columns(recipe, root, file, full=True)
        raise RecipeErrors(checker.errors)
    return columns if known else None


def check_transforms(checker: Checker, recipe: Any, columns: list[str]) -> list[str]:
    """Each transform's columns against those before it; the columns after the last one."""
    where = "of the sources"
    for name, config in recipe.transforms.items():
        transform = TRANSFORMS.get(config.type)(name, config)
        for key, column in transform.column_refs():
            checker.need(f"transforms.{name}.{key}", column, columns, where)
        columns = transform.columns_after(columns)
        where = f"after transform '{name}'"
    return columns


def check_task(checker: Checker, recipe: Any, root: Path, columns: list[str]) -> None:
    """The task's, split's and labeling's columns against those after the transforms."""
    where = "after the sources and transforms" if recipe.transforms else "of the sources"
    task = recipe.task
    if task.text:
        checker.need("task.text", task.text, columns, where)
    for i, column in enumerate(task.features or []):
        checker.need(f"task.features[{i}]", column, columns, where)
    if recipe.split.group:
        checker.need("split.group", recipe.split.group, columns, where)
    labeling = recipe.labeling
    if labeling.gold.column:
        checker.need("labeling.gold.column", labeling.gold.column, columns, where)
    elif task.label not in columns:
        elsewhere = other_labels(recipe, root)
        if not elsewhere or did_you_mean(task.label, columns):
            checker.need("task.label", task.label, columns, where + ("" if elsewhere else
                         " (with no labeling functions, feedback or human labels, every label "
                         "comes from this column)"))
    for name, function in labeling.functions.items():
        for attribute in ("column", "columns"):
            value = getattr(function, attribute, None)
            names = [value] if isinstance(value, str) else list(value or [])
            for i, column in enumerate(names):
                key = f"labeling.functions.{name}.{attribute}"
                checker.need(key if isinstance(value, str) else f"{key}[{i}]", column,
                             columns, where)
    pseudo = labeling.pseudo
    for i, column in enumerate(getattr(pseudo, "features", None) or []):
        checker.need(f"labeling.pseudo.features[{i}]", column, columns, where)


def other_labels(recipe: Any, root: Path) -> bool:
    """Whether labels can come from elsewhere than the label column: labeling functions, a
    feedback log's corrections or a human label store."""
    if recipe.labeling.functions:
        return True
    if any(config.type == "feedback" for config in recipe.sources.values()):
        return True
    store = recipe.labeling.human.store_dir(root, recipe.name)
    return store.is_dir() and any(store.iterdir())


def check_ingest(ctx: Any) -> list[str] | None:
    """`check_recipe_columns` for a stage's context; messages name `recipes/<name>.yaml`
    when it exists (the stage reads the resolved `data/<name>/recipe.yaml`)."""
    recipe = ctx.recipe
    source = ctx.root / "recipes" / f"{recipe.name}.yaml"
    file = f"recipes/{recipe.name}.yaml" if source.is_file() else ctx.composed.display_file
    return check_recipe_columns(recipe, ctx.root, file)
