"""`builder report`. Imports nothing heavy at module level."""

from __future__ import annotations

import argparse


def cmd_report(args: argparse.Namespace) -> int:
    from builder.cli import root_of
    from builder.export.report import write_report
    from builder.context import open_context

    ctx = open_context(args.recipe, root_of(args))
    path, notes = write_report(ctx)
    print(f"report: {path}")
    for note in notes:
        print(f"  omitted: {note}")
    return 0


def add_commands(sub) -> None:
    """`report`."""
    report = sub.add_parser(
        "report", help="write data/RECIPE/report.html, a self-contained page of plots",
        description="Write data/RECIPE/report.html with plots of the last build (no network "
        "needed to view it).")
    report.add_argument("recipe", help="recipe name (recipes/NAME.yaml) or path to a YAML file")
    report.set_defaults(handler=cmd_report)
