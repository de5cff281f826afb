"""`builder report`: plots from metrics and artifacts, notes for absent data, a real browser."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from builder.partitions import read_artifact, write_artifact
from builder import artifacts
from builder.export.report import build_plots, render_report
from tests.chromium import Chromium, chromium_binary
from tests.conftest import REPO, Project, run_cli

ARTIFACTS = REPO / "test-artifacts"

METRICS = {
    "recipe": "tiny",
    "ingest": {"sources": {"a": {"type": "csv", "rows": 6}},
               "steps": [{"name": "dedup", "type": "dedup", "rows_in": 6, "rows_out": 5}]},
    "label": {"rows_in": 5, "rows_out": 5},
    "augment": {"rows": 7},
    "split": {"counts": {"train": {"no": 3, "yes": 1}, "test": {"no": 1, "yes": 0}}},
    "export": {"classes_per_split": {"train": {"no": 3, "yes": 3}, "test": {"no": 1, "yes": 0}},
               "rows_per_split": {"train": 6, "test": 1},
               "label_sources_per_split": {"train": {"gold": 4, "weak": 2}, "test": {"gold": 1}},
               "origins_per_split": {"train": {"real": 4, "oversampled": 2}, "test": {"real": 1}},
               "content_hash": "abc"},
}


def frame(origins: list[str]) -> pd.DataFrame:
    n = len(origins)
    return pd.DataFrame({"_id": [f"a/{i}" for i in range(n)], "amount": [float(i * 10) for i in range(n)],
                         "kind": ["x", "y"] * (n // 2) + ["x"] * (n % 2),
                         "split": ["train"] * n, "_origin": origins})


def test_absent_data_gives_notes_instead_of_plots() -> None:
    metrics = {**METRICS, "export": {**METRICS["export"], "label_sources_per_split": {}}}
    plots = {p.slug: p for p in build_plots(metrics, frame(["real"] * 4), ["no", "yes"], None)}
    assert plots["functions"].figure is None
    assert plots["functions"].note == ("This build has no labeling functions "
                                       "(label.functions is absent).")
    assert plots["real-vs-synthetic"].note == ("Every train row is real in this build: there is "
                                               "nothing synthetic to compare.")
    assert plots["label-sources"].note == "metrics.json has no export.label_sources_per_split."
    assert plots["real-vs-synthetic"].figure is None
    no_frame = {p.slug: p for p in build_plots(metrics, None, ["no", "yes"], None)}
    assert "run the augment stage" in no_frame["real-vs-synthetic"].note
    assert plots["classes"].figure is not None and plots["steps"].figure is not None


def test_plots_are_built_from_the_figures_they_show() -> None:
    metrics = {**METRICS, "label": {**METRICS["label"], "functions": {"functions": {
        "praise": {"coverage": 0.4, "conflicts": 0.1}, "refund": {"coverage": 0.2, "conflicts": 0.05}}}}}
    plots = {p.slug: p for p in build_plots(metrics, frame(["real"] * 4 + ["oversampled"] * 2),
                                            ["no", "yes"], None, ["train", "test"])}
    assert all(p.figure is not None for p in plots.values()), [p.note for p in plots.values()]
    classes = plots["classes"].figure.data
    assert [(t.name, list(t.y)) for t in classes] == [
        ("before", [3, 1]), ("after", [3, 3]), ("before", [1, 0]), ("after", [1, 0])]
    functions = plots["functions"].figure.data
    assert [(t.name, list(t.x), list(t.y)) for t in functions] == [
        ("coverage", ["praise", "refund"], [0.4, 0.2]), ("conflicts", ["praise", "refund"], [0.1, 0.05])]
    kinds = {(t.name, t.xaxis): list(t.y) for t in plots["real-vs-synthetic"].figure.data}
    assert kinds[("real", "x2")] == [0.5, 0.5]  # kind: x, y among the real rows
    assert kinds[("made", "x2")] == [0.5, 0.5]
    origins = {t.name: list(t.y) for t in plots["origins"].figure.data}
    assert origins == {"oversampled": [2, 0], "real": [4, 1]}


def test_the_page_is_self_contained_and_stable() -> None:
    plots = build_plots(METRICS, frame(["real", "smote"]), ["no", "yes"], None)
    page = render_report("Tiny: build report", METRICS, plots)
    assert page == render_report("Tiny: build report", METRICS, build_plots(
        METRICS, frame(["real", "smote"]), ["no", "yes"], None))
    import plotly.offline

    bundle = plotly.offline.get_plotlyjs()
    assert page.count(bundle) == 1  # plotly.js inline, once
    ours = page.replace(bundle, "")
    assert "src=" not in ours and "http" not in ours
    assert page.count('data-plot="') == 5 and 'data-omitted="functions"' in page


def stand_in_for_balancing(data) -> None:
    """Give a real build what balancing adds before export: oversampled minority train rows."""
    df = read_artifact(data / "augmented")
    minority = df[(df["split"] == "train") & (df["label"] == "plot")].head(300).copy()
    minority["_origin"] = "oversampled"
    df = pd.concat([df, minority], ignore_index=True)
    order = pd.Categorical(df["split"].astype(str), categories=["train", "validation", "test"]).codes
    df = df.iloc[order.argsort(kind="stable")].reset_index(drop=True)  # rows stay grouped by split
    write_artifact(df, data / "augmented")


@pytest.mark.slow
def test_report_renders_in_headless_chromium(example_project: Project) -> None:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    run_cli("build", "reviews", "--quiet", cwd=example_project.root, check=True)
    data = example_project.data("reviews")
    stand_in_for_balancing(data)
    run_cli("stage", "export", "reviews", cwd=example_project.root, check=True)
    result = run_cli("report", "reviews", cwd=example_project.root, check=True)
    assert "omitted" not in result.stdout
    report = data / "report.html"
    with Chromium(binary) as browser:
        page = browser.open_page(report.as_uri())
        expected = page.evaluate("document.querySelectorAll('[data-plot]').length")
        rendered = page.wait_until(
            "(() => { const plots = [...document.querySelectorAll('[data-plot]')];"
            " return plots.length > 0 && plots.every(p => p.querySelector('.main-svg')"
            " && p.querySelectorAll('.trace, .point, .bars path').length > 0) && plots.length; })()")
        page.settle(0.5)
        shot = page.screenshot(ARTIFACTS / "report-reviews.png")
        titles = page.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)")
    assert expected == 6 and rendered == 6
    assert titles[0] == "Class distribution per split, before and after balancing"
    assert page.errors == []
    assert page.requests == [report.as_uri()]  # nothing fetched: the page is self-contained
    assert shot.stat().st_size > 50_000
    shutil.copy(report, ARTIFACTS / "report-reviews.html")


def test_report_needs_a_build(project: Project) -> None:
    project.recipe("tiny", """
        name: tiny
        task: {type: tabular-classification, label: y, classes: [a, b]}
        sources: {s: {type: csv, path: data.csv}}
    """)
    project.write("data.csv", "x,y\n1,a\n2,b\n")
    run_cli("stage", "compose", "tiny", cwd=project.root, check=True)
    result = run_cli("report", "tiny", cwd=project.root)
    assert result.returncode == 2
    assert "metrics.json: not found; build first with `builder build tiny`" in result.stderr
