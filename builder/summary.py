"""The short table a build ends with: rows per stage, per split and per class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from builder import artifacts
from builder.balance.card import summary_caption as balance_caption
from builder.balance.card import summary_rows as balance_summary_rows

if TYPE_CHECKING:
    from builder.context import Context


def summary_rows(ctx: Context) -> tuple[list[list[str]], list[list[str]]]:
    """(stage rows, split rows) for the summary, read from the written metrics."""
    metrics = artifacts.read_json(ctx.artifact("metrics.json"))
    stages = [["ingest", str(metrics["ingest"]["rows"]), f"{ctx.timings.get('ingest', 0):.2f}s"]]
    for step in metrics["ingest"]["steps"]:
        stages.append([f"  {step['name']} ({step['type']})", f"{step['rows_in']} -> {step['rows_out']}", ""])
    stages.append(["label", str(metrics["label"]["rows_out"]), f"{ctx.timings.get('label', 0):.2f}s"])
    stages += label_detail_rows(metrics["label"])
    stages.append(["split", str(sum(metrics["split"]["rows"].values())), f"{ctx.timings.get('split', 0):.2f}s"])
    stages.append(["augment", str(metrics["augment"]["rows"]), f"{ctx.timings.get('augment', 0):.2f}s"])
    stages.append(["export", str(sum(metrics["export"]["rows_per_split"].values())),
                   f"{ctx.timings.get('export', 0):.2f}s"])
    classes = ctx.recipe.task.classes
    per_split = metrics["export"]["classes_per_split"]
    rows = metrics["export"]["rows_per_split"]
    sources = metrics["export"].get("label_sources_per_split") or {}
    splits = [[split, str(rows.get(split, sum(per_split[split].values()))),
               *[str(per_split[split].get(k, 0)) for k in classes],
               str((sources.get(split) or {}).get("unlabeled", 0))]
              for split in ctx.recipe.split.fractions]
    return stages, splits


def label_detail_rows(label: dict) -> list[list[str]]:
    """Lines under the label stage: pseudo-labels accepted (and at what threshold) and
    unlabeled rows dropped (`labeling.unlabeled`)."""
    rows = []
    acceptance = (label.get("pseudo") or {}).get("acceptance")
    if acceptance and "accepted" in label["pseudo"]:
        threshold = acceptance["threshold"]
        how = ("no threshold reaches the target precision" if threshold is None else
               f"confidence >= {threshold:g}, est. precision {acceptance['estimated_precision']}")
        rows.append([f"  pseudo-labels ({how})", str(label["pseudo"]["accepted"]), ""])
    if label.get("unlabeled_dropped"):
        rows.append(["  unlabeled rows dropped", str(label["unlabeled_dropped"]), ""])
    return rows


def labeling_table(ctx: Context):
    """The labeling functions' coverage, conflicts and accuracy, when the recipe has any."""
    from rich.table import Table

    from builder.labeling.card import auto_choice, summary_rows

    label = artifacts.read_json(ctx.metrics_path("label"))
    rows = summary_rows(label)
    if not rows:
        return None
    table = Table(title="labeling functions",
                  caption=auto_choice(label["functions"]["model"]).replace("`", "") or None)
    for header in ("function", "coverage", "conflicts", "accuracy vs gold"):
        table.add_column(header, justify="left" if header == "function" else "right")
    for row in rows:
        table.add_row(*row)
    return table


def print_drops(console, ctx: Context) -> None:
    """In red, each step that dropped more than half of its input: why, and the key to change
    (`builder.checks`; more than `checks.max_drop` fails the build)."""
    from rich.markup import escape

    from builder.checks import notable_drops

    for drop in notable_drops(artifacts.read_json(ctx.artifact("metrics.json")), ctx.recipe):
        console.print(f"[red]{escape(drop.describe())}; to change it: {escape(drop.key)} "
                      f"(checks.max_drop.{escape(drop.step)} fails the build above "
                      f"{ctx.recipe.checks.max_drop_for(drop.step):.0%})[/red]")


def print_summary(ctx: Context) -> None:
    """Print the summary tables with rich."""
    from rich.console import Console
    from rich.table import Table

    stages, splits = summary_rows(ctx)
    console = Console()
    stage_table = Table(title=f"{ctx.recipe.name}: rows per stage")
    for header in ("stage", "rows", "time"):
        stage_table.add_column(header, justify="left" if header == "stage" else "right")
    for row in stages:
        stage_table.add_row(*row)
    split_table = Table(title="rows per split and class")
    for header in ["split", "rows", *ctx.recipe.task.classes, "unlabeled"]:
        split_table.add_column(header, justify="left" if header == "split" else "right")
    for row in splits:
        split_table.add_row(*row)
    console.print(stage_table)
    print_drops(console, ctx)
    labeling = labeling_table(ctx)
    if labeling is not None:
        console.print(labeling)
    console.print(split_table)
    metrics = artifacts.read_json(ctx.artifact("metrics.json"))
    balance_rows = balance_summary_rows(metrics)
    if balance_rows:
        balance_table = Table(title="train split classes: balancing",
                              caption=balance_caption(metrics) or None)
        for header in ("class", "before", "target", "after", "how"):
            balance_table.add_column(header, justify="left" if header in ("class", "how") else "right")
        for row in balance_rows:
            balance_table.add_row(*row)
        console.print(balance_table)
    console.print(f"dataset: {ctx.artifact('dataset')}  hub layout: {ctx.artifact('hub')}")
