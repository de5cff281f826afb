"""DVC metrics and plots files written by the export stage, declared in `dvc.yaml`.

`dvc_metrics.json` holds the build's headline figures (rows per split and class, label sources,
origins, and every numeric top-level figure of the stage metrics, such as a label model's
accuracy or a synthetic quality score), so `dvc metrics show` and `dvc metrics diff` compare
builds. `dvc_plots/*.csv` are small tables for `dvc plots show` / `dvc plots diff`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from builder import artifacts

METRICS_FILE = "dvc_metrics.json"
PLOTS_DIR = "dvc_plots"


def scalars(figures: dict[str, Any]) -> dict[str, float | int]:
    """The numeric top-level entries of a stage's metrics (booleans excluded)."""
    return {k: v for k, v in figures.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def dvc_metrics(metrics: dict[str, Any], stages: Sequence[str]) -> dict[str, Any]:
    """The figures `dvc metrics show` lists for a build (`stages`: those whose metrics it
    holds, in order)."""
    export = metrics["export"]
    rows = dict(export["rows_per_split"])
    result: dict[str, Any] = {
        "rows": {"total": sum(rows.values()), **rows},
        "classes": export["classes_per_split"],
        "label_sources": _totals(export.get("label_sources_per_split") or {}),
        "origins": _totals(export.get("origins_per_split") or {}),
    }
    for stage in stages:
        figures = scalars(metrics.get(stage) or {})
        if figures:
            result[stage] = figures
    return result


def _totals(per_split: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for counts in per_split.values():
        for key, n in counts.items():
            totals[key] = totals.get(key, 0) + n
    return dict(sorted(totals.items()))


def plot_tables(metrics: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """{file name: (header, rows)} for the plots declared in `dvc.yaml`."""
    export = metrics["export"]
    classes = [[f"{split}/{c}", n] for split, counts in export["classes_per_split"].items()
               for c, n in counts.items()]
    origins = [[f"{split}/{o}", n] for split, counts in (export.get("origins_per_split") or {}).items()
               for o, n in counts.items()]
    sources = [[s, n] for s, n in _totals(export.get("label_sources_per_split") or {}).items()]
    return {
        "classes.csv": (["split_class", "rows"], classes),
        "origins.csv": (["split_origin", "rows"], origins),
        "label_sources.csv": (["label_source", "rows"], sources),
    }


def write_dvc_files(metrics: dict[str, Any], stages: Sequence[str], data_dir: Path) -> None:
    """Write `dvc_metrics.json` and `dvc_plots/*.csv` under a recipe's data folder."""
    artifacts.write_json(dvc_metrics(metrics, stages), data_dir / METRICS_FILE)
    for name, (header, rows) in plot_tables(metrics).items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        with artifacts.atomic_file(data_dir / PLOTS_DIR / name) as tmp:
            tmp.write_text(buffer.getvalue())
