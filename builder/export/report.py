"""`builder report`: `data/<recipe>/report.html`, a self-contained page of plots of the last build.

Self-contained: plotly.js is inlined once, so the page needs no network. Each plot is built from
metrics or artifacts that exist; one whose data is absent is left out with a note saying why.
Histograms are binned with numpy here, so the page stays small whatever the row count.

What each plot reads:
- class distribution per split, before and after balancing: `split.counts` (before) and
  `export.classes_per_split` (after) in `metrics.json`;
- labeling functions: `label.functions.functions`, `{name: {"coverage": share, "conflicts": share,
  "overlaps": share, ...}}`, the label stage's diagnostics;
- label sources and row origins per split: `export.label_sources_per_split`,
  `export.origins_per_split`;
- real vs synthetic per column: the train split of `augmented.parquet`, by `_origin`;
- rows kept by each step: `ingest.sources`, `ingest.steps` and each stage's row counts.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder import artifacts
from builder.partitions import read_artifact
from builder.errors import StageError

if TYPE_CHECKING:
    from pathlib import Path

    from builder.context import Context

REPORT = "report.html"
MAX_COLUMNS = 12
MAX_CATEGORIES = 20
BINS = 30
#: Columns that describe a row's history, not its content.
#: Columns that are not data (besides every `_`-prefixed one, such as `_id` or `_gold`).
BOOKKEEPING = {"split", "label_source", "label_confidence", "weak_label", "weak_confidence",
               "lf_conflict", "model_label", "model_confidence", "suspect_label"}


@dataclass
class Plot:
    """One section of the report: a figure, or a note saying why there is none."""

    slug: str
    title: str
    description: str
    figure: Any = None
    note: str | None = None
    #: Ready-made HTML instead of a figure (an image section's inlined picture).
    html: str | None = None


def _figure(**layout: Any) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.update_layout(template="plotly_white", margin={"t": 50, "l": 60, "r": 20, "b": 50},
                      height=380, **layout)
    return fig


def _subplots(count: int, titles: list[str], columns: int = 3, **layout: Any) -> Any:
    from plotly.subplots import make_subplots

    cols = min(columns, max(count, 1))
    rows = -(-count // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles)
    fig.update_layout(template="plotly_white", height=max(320, 300 * rows),
                      margin={"t": 60, "l": 60, "r": 20, "b": 40}, **layout)
    return fig, cols


def class_distribution(metrics: dict, classes: list[str]) -> Plot:
    plot = Plot("classes", "Class distribution per split, before and after balancing",
                "Rows per class in each split after the split stage (before) and in the "
                "published dataset (after balancing and synthesis, which touch train only).")
    before = metrics.get("split", {}).get("counts") or {}
    after = metrics.get("export", {}).get("classes_per_split") or {}
    if not after:
        plot.note = "metrics.json has no export.classes_per_split: run the export stage."
        return plot
    import plotly.graph_objects as go

    fig, cols = _subplots(len(after), list(after), barmode="group")
    for i, split in enumerate(after):
        row, col = i // cols + 1, i % cols + 1
        if before.get(split):
            fig.add_trace(go.Bar(name="before", x=classes, y=[before[split].get(c, 0) for c in classes],
                                 marker_color="#9aa5b1", legendgroup="before", showlegend=i == 0),
                          row=row, col=col)
        fig.add_trace(go.Bar(name="after", x=classes, y=[after[split].get(c, 0) for c in classes],
                             marker_color="#2f6fde", legendgroup="after", showlegend=i == 0),
                      row=row, col=col)
    if not before:
        plot.description += " (No per-class counts before balancing: the split had no labels.)"
    plot.figure = fig
    return plot


def _functions(metrics: dict) -> dict[str, dict]:
    """`{name: figures}` from the label stage's diagnostics (`label.functions.functions`)."""
    return (metrics.get("label", {}).get("functions") or {}).get("functions") or {}


def labeling_functions(metrics: dict) -> Plot:
    plot = Plot("functions", "Labeling functions: coverage and conflicts",
                "Share of rows each labeling function voted on (coverage), and share of rows where "
                "it disagreed with another function (conflicts).")
    functions = _functions(metrics)
    if not functions:
        plot.note = "This build has no labeling functions (label.functions is absent)."
        return plot
    import plotly.graph_objects as go

    names = list(functions)
    fig = _figure(barmode="group", yaxis={"title": "share of rows", "tickformat": ".0%"})
    for key, color in (("coverage", "#2f6fde"), ("conflicts", "#d9534f"), ("overlaps", "#f0ad4e")):
        values = [functions[n].get(key) for n in names]
        if any(isinstance(v, (int, float)) for v in values):
            fig.add_trace(go.Bar(name=key, x=names, y=values, marker_color=color))
    if not fig.data:
        plot.note = "label.functions has neither coverage nor conflicts figures."
        return plot
    plot.figure = fig
    return plot


def stacked_per_split(slug: str, title: str, description: str, per_split: dict, absent: str) -> Plot:
    plot = Plot(slug, title, description)
    kinds = sorted({k for counts in per_split.values() for k in counts})
    if not kinds:
        plot.note = absent
        return plot
    import plotly.graph_objects as go

    fig = _figure(barmode="stack", yaxis={"title": "rows"}, showlegend=True)
    splits = list(per_split)
    for kind in kinds:
        fig.add_trace(go.Bar(name=kind, x=splits, y=[per_split[s].get(kind, 0) for s in splits]))
    plot.figure = fig
    return plot


def balance_selection(metrics: dict) -> Plot | None:
    """The balance plans `auto` cross-validated on the train rows: each fold's score and the
    mean, the chosen plan marked (None when the build selected no plan)."""
    selection = ((metrics.get("augment") or {}).get("balance") or {}).get("selection")
    if not selection or "candidates" not in selection:
        return None
    import plotly.graph_objects as go

    names = list(selection["candidates"])
    means = [selection["candidates"][n]["mean"] for n in names]
    chosen = selection["chosen"]
    plot = Plot("balance-selection", "Balance plans, cross-validated",
                f"Each candidate plan's {selection['metric']} on {selection['folds']} folds of "
                f"{selection['rows']} real train rows (dots: folds; bars: mean). The build used "
                f"`{chosen}` ({selection['chosen_by']}); auto's pick is `{selection['auto_pick']}`.")
    fig = _figure(yaxis={"title": selection["metric"]}, showlegend=False)
    fig.add_trace(go.Bar(x=names, y=means, marker={"color": [
        "#2f6fde" if n == chosen else "#9aa5b1" for n in names]}))
    folds = [(n, v) for n in names for v in selection["candidates"][n]["fold_scores"]]
    fig.add_trace(go.Scatter(x=[n for n, _ in folds], y=[v for _, v in folds], mode="markers",
                             marker={"color": "#1f2933", "size": 7}))
    low = min(v for _, v in folds)
    fig.update_yaxes(range=[max(0.0, low - 0.05), min(1.0, max(v for _, v in folds) + 0.02)])
    plot.figure = fig
    return plot


def steps_funnel(metrics: dict) -> Plot:
    plot = Plot("steps", "Rows kept by each step",
                "Rows out of every source read, transform, and stage of the build.")
    ingest = metrics.get("ingest") or {}
    if not ingest.get("sources"):
        plot.note = "metrics.json has no ingest figures."
        return plot
    import plotly.graph_objects as go

    labels = ["read (all sources)"]
    values = [sum(s["rows"] for s in ingest["sources"].values())]
    for step in ingest.get("steps", []):
        labels.append(f"{step['name']} ({step['type']})")
        values.append(step["rows_out"])
    for stage, key in (("label", "rows_out"), ("augment", "rows")):
        if key in (metrics.get(stage) or {}):
            labels.append(f"{stage} stage")
            values.append(metrics[stage][key])
    fig = _figure()
    fig.add_trace(go.Funnel(y=labels, x=values, textinfo="value+percent initial",
                            marker={"color": "#2f6fde"}))
    plot.figure = fig
    return plot


def real_vs_synthetic(df: pd.DataFrame | None, text_column: str | None) -> Plot:
    plot = Plot("real-vs-synthetic", "Real vs synthetic rows, per column (train split)",
                "Distribution of each column over the real train rows and over the rows that "
                "balancing or synthesis made (`_origin` other than real); numbers as histograms, "
                "categories as shares, text as its length in characters.")
    if df is None or "_origin" not in df.columns:
        plot.note = "augmented.parquet with an _origin column is missing: run the augment stage."
        return plot
    train = df[df["split"].astype("string") == "train"] if "split" in df.columns else df
    made = train["_origin"].astype("string") != "real"
    if not made.any():
        plot.note = "Every train row is real in this build: there is nothing synthetic to compare."
        return plot
    import plotly.graph_objects as go

    columns = [c for c in train.columns if c not in BOOKKEEPING and not str(c).startswith("_")]
    shown = columns[:MAX_COLUMNS]
    if len(columns) > len(shown):
        plot.description += f" The first {MAX_COLUMNS} of {len(columns)} columns are shown."
    fig, cols = _subplots(len(shown), [f"{c} (length)" if c == text_column else c for c in shown],
                          barmode="group")
    for i, column in enumerate(shown):
        row, col = i // cols + 1, i % cols + 1
        series = train[column]
        if column == text_column:
            series = series.astype("string").str.len()
        for name, part, color in (("real", series[~made], "#2f6fde"), ("made", series[made], "#e8833a")):
            x, y = _distribution(series, part)
            fig.add_trace(go.Bar(name=name, x=x, y=y, marker_color=color, legendgroup=name,
                                 showlegend=i == 0), row=row, col=col)
    plot.figure = fig
    return plot


def _distribution(whole: pd.Series, part: pd.Series) -> tuple[list, list]:
    """(bin labels or categories, share of `part` in each), binned over the whole column."""
    numeric = pd.api.types.is_numeric_dtype(whole) and not pd.api.types.is_bool_dtype(whole)
    if numeric and whole.nunique(dropna=True) > MAX_CATEGORIES:
        values = whole.dropna().to_numpy(dtype=float)
        edges = np.histogram_bin_edges(values, bins=BINS)
        counts, _ = np.histogram(part.dropna().to_numpy(dtype=float), bins=edges)
        centres = (edges[:-1] + edges[1:]) / 2
        return [float(c) for c in centres], (counts / max(counts.sum(), 1)).round(5).tolist()
    labels = whole.astype("string").fillna("(missing)")
    top = labels.value_counts().head(MAX_CATEGORIES).index
    if numeric:  # a number with few values: keep the numbers' order
        order = pd.to_numeric(pd.Series(top), errors="coerce").fillna(np.inf).to_numpy().argsort(kind="stable")
        top = top[order]
    shares = part.astype("string").fillna("(missing)").value_counts(normalize=True)
    return [str(t) for t in top], [round(float(shares.get(t, 0.0)), 5) for t in top]


def in_split_order(metrics: dict, splits: list[str]) -> dict:
    """`metrics` with its per-split mappings in the recipe's split order (JSON sorts keys)."""
    def order(mapping: Any) -> Any:
        if isinstance(mapping, dict) and set(mapping) == set(splits):
            return {s: mapping[s] for s in splits}
        return mapping

    result = dict(metrics)
    for stage in ("split", "export"):
        result[stage] = {k: order(v) for k, v in (metrics.get(stage) or {}).items()}
    return result


def build_plots(metrics: dict, df: pd.DataFrame | None, classes: list[str],
                text_column: str | None, splits: list[str] | None = None) -> list[Plot]:
    """Every plot of the report, in order (absent data gives a note instead of a figure)."""
    if splits:
        metrics = in_split_order(metrics, splits)
    export = metrics.get("export") or {}
    return [
        class_distribution(metrics, classes),
        labeling_functions(metrics),
        stacked_per_split("label-sources", "Label sources per split",
                          "Rows per `label_source` (gold, human, feedback, weak, pseudo) in each split.",
                          export.get("label_sources_per_split") or {},
                          "metrics.json has no export.label_sources_per_split."),
        stacked_per_split("origins", "Row origins per split",
                          "Rows per `_origin` (real, smote, oversampled, synthetic) in each split.",
                          export.get("origins_per_split") or {},
                          "metrics.json has no export.origins_per_split."),
        real_vs_synthetic(df, text_column),
        *[p for p in (balance_selection(metrics),) if p is not None],
        steps_funnel(metrics),
    ]


def image_plots(metrics: dict, df: pd.DataFrame | None, hub: Path) -> list[Plot]:
    """An image task's sections: the card's sample picture per class, and image widths,
    heights and modes per split (`builder.images.report`)."""
    import plotly.graph_objects as go

    from builder.images.report import SHAPE_COLUMNS, samples_html, shape_counts

    picture, split = samples_html(metrics, hub)
    samples = Plot("image-samples", "Sample images per class",
                   f"The first images of each class in the `{split}` split (the card's picture).",
                   html=picture, note=None if picture else split)
    shapes = Plot("image-sizes", "Image sizes and modes per split",
                  "Images per width, per height (pixels) and per mode (`L`, `RGB` ...) in each "
                  "split, made rows included.")
    counts = shape_counts(df)
    if counts is None:
        shapes.note = "the rows have no width, height and mode columns (an image source adds them)."
        return [samples, shapes]
    fig, _ = _subplots(len(SHAPE_COLUMNS), list(SHAPE_COLUMNS), barmode="group")
    for i, column in enumerate(SHAPE_COLUMNS):
        for split, values in counts[column].items():
            fig.add_trace(go.Bar(name=split, x=list(values), y=list(values.values()),
                                 legendgroup=split, showlegend=i == 0), row=1, col=i + 1)
    shapes.figure = fig
    return [samples, shapes]


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #1f2933; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #e4e7eb; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: .25rem .8rem;
border-bottom: 1px solid #e4e7eb; text-align: right; } th:first-child, td:first-child { text-align: left; }
.note { background: #fff8e1; border-left: 4px solid #f0ad4e; padding: .6rem 1rem; }
code { background: #f5f7fa; padding: 0 .25rem; }
"""


def _summary_table(metrics: dict) -> str:
    export = metrics.get("export") or {}
    rows = export.get("rows_per_split") or {}
    cells = "".join(f"<tr><td>{html.escape(s)}</td><td>{n:,}</td></tr>" for s, n in rows.items())
    total = f"<tr><th>total</th><th>{sum(rows.values()):,}</th></tr>"
    return f"<table><tr><th>split</th><th>rows</th></tr>{cells}{total}</table>"


def render_report(title: str, metrics: dict, plots: list[Plot]) -> str:
    """The whole page: plotly.js inline, a summary, then each plot or its note."""
    import plotly.offline

    parts = []
    for plot in plots:
        head = f'<section id="{plot.slug}"><h2>{html.escape(plot.title)}</h2>'
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(plot.description))
        if plot.figure is None and plot.html is not None:
            parts.append(f"{head}<p>{text}</p>{plot.html}</section>")
            continue
        if plot.figure is None:
            parts.append(f'{head}<p class="note" data-omitted="{plot.slug}">Omitted: '
                         f"{html.escape(plot.note or '')}</p></section>")
            continue
        div = plot.figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{plot.slug}",
                                  config={"displaylogo": False, "responsive": True})
        parts.append(f'{head}<p>{text}</p><div class="figure" data-plot="{plot.slug}">{div}</div></section>')
    content_hash = (metrics.get("export") or {}).get("content_hash", "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script type=\"text/javascript\">{plotly.offline.get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Build report of the recipe "
        f"<code>{html.escape(metrics.get('recipe', ''))}</code>; content sha256 "
        f"<code>{html.escape(content_hash)}</code>.</p>{_summary_table(metrics)}"
        + "".join(parts) + "</body></html>\n"
    )


def write_report(ctx: Context) -> tuple[Path, list[str]]:
    """Write `data/<recipe>/report.html`; returns its path and the notes of omitted plots."""
    metrics = artifacts.read_json(ctx.artifact("metrics.json"))
    if "export" not in metrics:
        raise StageError(f"{ctx.artifact('metrics.json')}: not found; build first with "
                         f"`builder build {ctx.recipe.name}` or `dvc repro`.")
    augmented = ctx.artifact("augmented")
    df = read_artifact(augmented) if augmented.is_dir() else None
    task = ctx.recipe.task
    splits = list(ctx.recipe.split.fractions)
    shown = df.drop(columns=[task.image]) if task.image and df is not None else df
    plots = build_plots(metrics, shown, list(task.classes), task.text, splits)
    if task.image:  # thumbnails, sizes and modes
        plots += image_plots(metrics, df, ctx.artifact("hub"))
    title = f"{ctx.recipe.publish.pretty_name or ctx.recipe.name}: build report"
    target = ctx.artifact(REPORT)
    with artifacts.atomic_file(target) as tmp:
        tmp.write_text(render_report(title, in_split_order(metrics, splits), plots), encoding="utf-8")
    return target, [f"{p.title}: {p.note}" for p in plots if p.figure is None and p.html is None]
