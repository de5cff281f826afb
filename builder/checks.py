"""A build that loses most of its rows fails unless the recipe says it expects that.

Each step that can drop rows reports rows in and out in its stage's metrics: a source that
filters its records (a feedback log: consent, window, duplicates), each transform, the label
stage (rows left without a label). A step that drops more than `checks.max_drop` of its input
(0.9 by default) fails the build, naming the step, why it dropped them and the key to change;
a split with fewer than `checks.min_rows` rows (1 by default) fails it naming the split. The
summary shows any step that dropped more than half of its input (`notable_drops`).

Only metrics (plain dicts) are read here: the kernel imports no domain package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.errors import StageError

#: A step dropping more than this share of its input is shown in red in the summary.
NOTABLE_DROP = 0.5


@dataclass(frozen=True)
class Drop:
    """Rows a step dropped, why, and the recipe key that controls it."""

    step: str
    rows_in: int
    rows_out: int
    reason: str
    key: str

    @property
    def share(self) -> float:
        return 1 - self.rows_out / self.rows_in if self.rows_in else 0.0

    def describe(self) -> str:
        return (f"step '{self.step}' dropped {self.rows_in - self.rows_out:,} of "
                f"{self.rows_in:,} rows ({self.share:.0%}): {self.reason}")


def source_drops(ingest: dict[str, Any]) -> list[Drop]:
    """Sources that filter their records (rows read < records)."""
    drops = []
    for name, figures in ingest.get("sources", {}).items():
        records = figures.get("records")
        if records is None:
            continue
        causes = {"without_consent": f"sources.{name}.consent_field",
                  "outside_window": f"sources.{name}.since/until",
                  "duplicates_of_other_sources": f"sources.{name}.dedup_on"}
        found = {k: figures.get(k, 0) for k in causes if figures.get(k, 0)}
        reason = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in found.items()) or "filtered"
        key = causes[max(found, key=found.get)] if found else f"sources.{name}"
        drops.append(Drop(name, records, figures.get("rows", records), reason, key))
    return drops


def transform_drops(ingest: dict[str, Any]) -> list[Drop]:
    """Each transform's rows in and out."""
    return [Drop(step["name"], step["rows_in"], step["rows_out"],
                 f"a {step['type']} transform", f"transforms.{step['name']}")
            for step in ingest.get("steps", [])]


def label_drops(label: dict[str, Any], recipe: Any) -> list[Drop]:
    """The rows the label stage left out (rows without a label, under `unlabeled: drop`)."""
    rows_in, rows_out = label.get("rows_in", 0), label.get("rows_out", 0)
    unlabeled = label.get("unlabeled_dropped", 0)
    if unlabeled and unlabeled >= (rows_in - rows_out) / 2:
        column = recipe.labeling.gold_column(recipe.task)
        reason = (f"{unlabeled:,} rows had no label (no value in '{column}' and no labeling "
                  "function, feedback or human label) under labeling.unlabeled: drop")
        key = "labeling.unlabeled (or task.label)"
    else:
        reason, key = "rows left out by the label stage", "labeling"
    return [Drop("label", rows_in, rows_out, reason, key)]


def enforce(drops: list[Drop], recipe: Any) -> None:
    """Raise a `StageError` for the first step that dropped more than it may."""
    checks = recipe.checks
    for drop in drops:
        limit = checks.max_drop_for(drop.step)
        if drop.rows_in and drop.share > limit:
            raise StageError(
                f"{drop.describe()}, more than checks.max_drop allows ({limit:.0%}). Check "
                f"{drop.key}; if the recipe means it, set checks.max_drop.{drop.step} "
                f"(e.g. `checks: {{max_drop: {{{drop.step}: 1.0}}}}`).")


def check_ingest(ingest: dict[str, Any], recipe: Any) -> None:
    """After ingest: its sources and transforms."""
    enforce(source_drops(ingest) + transform_drops(ingest), recipe)


def check_label(label: dict[str, Any], recipe: Any) -> None:
    """After the label stage."""
    enforce(label_drops(label, recipe), recipe)


def check_splits(rows: dict[str, int], recipe: Any) -> None:
    """After the split stage: every split holds at least `checks.min_rows` rows."""
    for split in recipe.split.fractions:
        count, wanted = rows.get(split, 0), recipe.checks.min_rows_for(split)
        if count < wanted:
            empty = "; an empty split makes a Hub folder load_dataset cannot read" * (not count)
            raise StageError(
                f"split '{split}' has {count:,} rows of {sum(rows.values()):,}, fewer than "
                f"checks.min_rows ({wanted:,}){empty}. Expected more rows (see each stage's "
                f"rows in metrics/), a larger split.fractions.{split}, or a lower "
                "checks.min_rows.")


def after_stage(name: str, metrics: Any, recipe: Any) -> None:
    """The checks of a stage that just ran, on the metrics it returned."""
    if not isinstance(metrics, dict):
        return
    if name == "ingest":
        check_ingest(metrics, recipe)
    elif name == "label":
        check_label(metrics, recipe)
    elif name == "split" and isinstance(metrics.get("rows"), dict):
        check_splits(metrics["rows"], recipe)


def notable_drops(metrics: dict[str, Any], recipe: Any) -> list[Drop]:
    """The steps that dropped more than half of their input, for the summary."""
    drops = []
    if "ingest" in metrics:
        drops += source_drops(metrics["ingest"]) + transform_drops(metrics["ingest"])
    if "label" in metrics:
        drops += label_drops(metrics["label"], recipe)
    return [d for d in drops if d.rows_in and d.share > NOTABLE_DROP]
