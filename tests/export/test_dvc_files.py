"""DVC metrics and plots written by the export stage: unit figures, and the real dvc across builds."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from builder.export.dvc_files import dvc_metrics, plot_tables
from tests.conftest import REPO, cli_env, pipeline_for

METRICS = {
    "ingest": {"rows": 10, "sources": {}, "steps": []},
    "label": {"rows_in": 10, "rows_out": 9, "weak_accuracy": 0.83, "functions": {"f": {}},
              "has_gold": True},
    "split": {"seed": 1, "rows": {"train": 7, "test": 2}},
    "augment": {"rows": 11, "origins": {"real": 9, "smote": 2}},
    "export": {"rows_per_split": {"train": 9, "test": 2},
               "classes_per_split": {"train": {"a": 5, "b": 4}, "test": {"a": 1, "b": 1}},
               "label_sources_per_split": {"train": {"gold": 7, "unlabeled": 2}, "test": {"gold": 2}},
               "origins_per_split": {"train": {"real": 7, "smote": 2}, "test": {"real": 2}}},
}


def test_metrics_hold_headline_figures_and_numeric_stage_figures() -> None:
    assert dvc_metrics(METRICS, ["ingest", "label", "split", "augment"]) == {
        "rows": {"total": 11, "train": 9, "test": 2},
        "classes": {"train": {"a": 5, "b": 4}, "test": {"a": 1, "b": 1}},
        "label_sources": {"gold": 9, "unlabeled": 2},
        "origins": {"real": 9, "smote": 2},
        "ingest": {"rows": 10},
        "label": {"rows_in": 10, "rows_out": 9, "weak_accuracy": 0.83},
        "split": {"seed": 1},
        "augment": {"rows": 11},
    }


def test_plot_tables() -> None:
    tables = plot_tables(METRICS)
    assert tables["classes.csv"] == (["split_class", "rows"],
                                     [["train/a", 5], ["train/b", 4], ["test/a", 1], ["test/b", 1]])
    assert tables["label_sources.csv"] == (["label_source", "rows"], [["gold", 9], ["unlabeled", 2]])
    assert tables["origins.csv"][1][1] == ["train/smote", 2]


def dvc(*args: str, cwd) -> str:
    result = subprocess.run(["dvc", *args], cwd=cwd, env=cli_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def git(*args: str, cwd) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.mark.slow
@pytest.mark.integration
def test_dvc_metrics_and_plots_work_across_builds(tmp_path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("builder", "conf", "recipes", "data"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                        dirs_exist_ok=True)
        if name == "data":  # keep only data/.gitignore
            for child in (root / "data").iterdir():
                if child.name != ".gitignore":
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
    (root / "dvc.yaml").write_text(pipeline_for(["credit"]))
    git("init", "-q", cwd=root)
    dvc("init", "-q", cwd=root)
    dvc("config", "core.analytics", "false", cwd=root)
    dvc("repro", "-q", cwd=root)
    shown = json.loads(dvc("metrics", "show", "--json", cwd=root))
    figures = shown[""]["data"]["data/credit/dvc_metrics.json"]["data"]
    built = json.loads((root / "data" / "credit" / "metrics.json").read_text())["export"]
    origins: dict[str, int] = {}
    for counts in built["origins_per_split"].values():
        for origin, rows in counts.items():
            origins[origin] = origins.get(origin, 0) + rows
    assert figures["rows"]["total"] == sum(built["rows_per_split"].values())
    made = sum(rows for origin, rows in origins.items() if origin != "real")
    assert figures["origins"] == origins and origins["real"] < 4454 and made > 0
    git("add", "-A", cwd=root)
    git("commit", "-qm", "first build", cwd=root)
    recipe = root / "recipes" / "credit.yaml"
    recipe.write_text(recipe.read_text().replace("seed: 7", "seed: 8"))
    dvc("repro", "-q", cwd=root)
    # The metrics and plots files are committed (data/.gitignore lets them through), so DVC
    # compares the new build with the committed one.
    diff = json.loads(dvc("metrics", "diff", "--json", cwd=root))["data/credit/dvc_metrics.json"]
    assert diff["split.seed"] == {"old": 7, "new": 8, "diff": 1}
    assert diff["rows.test"]["old"] != diff["rows.test"]["new"]  # train is balanced to a target
    plots = json.loads(dvc("plots", "diff", "HEAD", "--json", "--split", cwd=root))
    assert "errors" not in plots
    assert sorted(plots["data"]) == [f"data/credit/dvc_plots/{name}.csv"
                                     for name in ("classes", "label_sources", "origins")]
    for rendered in plots["data"].values():
        assert rendered[0]["revisions"] == ["workspace", "HEAD"]
    out = tmp_path / "plots"
    dvc("plots", "show", "-o", str(out), cwd=root)
    page = (out / "index.html").read_text()
    assert "Rows per split and class" in page and "Rows per label source" in page
