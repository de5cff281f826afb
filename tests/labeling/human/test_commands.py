"""`builder label export|import|status` on a small project, as a user runs them."""

from __future__ import annotations

import json

import pytest

from builder import artifacts
from builder.partitions import read_artifact
from builder.cli import main
from builder.labeling.human.config import LABELING_TOOLS
from tests.labeling.human.conftest import FIXTURES, build_labeled

FILES = {"labelstudio": ["labeling_config.xml", "tasks.json"],
         "mturk": ["input.csv", "question.html"], "appen": ["job.cml", "job.csv"],
         "scale": ["tasks.jsonl"], "csv": ["queue.csv"],
         "vertex": ["import.jsonl", "import_schema.txt"]}


def cli(project, *args: str) -> int:
    return main(["--root", str(project.root), *args])


@pytest.mark.parametrize("tool", LABELING_TOOLS.names())
def test_export_writes_the_tool_files(shop_built, tool: str, capsys) -> None:
    assert cli(shop_built, "label", "export", "shop", "--tool", tool, "--budget", "3") == 0
    folder = shop_built.data("shop") / "queue" / tool
    assert sorted(p.name for p in folder.iterdir()) == FILES[tool]
    out = capsys.readouterr().out
    assert f"shop: 3 of 5 candidate rows (least_confident, seed " in out
    assert f"Then: builder label import shop <their export> --tool {tool}" in out


def test_export_is_deterministic_and_honours_out(shop_built, tmp_path) -> None:
    for name in ("a", "b"):
        assert cli(shop_built, "label", "export", "shop", "--tool", "labelstudio",
                   "--out", str(tmp_path / name), "--strategy", "audit", "--budget", "4") == 0
    first = (tmp_path / "a" / "tasks.json").read_text()
    assert first == (tmp_path / "b" / "tasks.json").read_text()
    assert len(json.loads(first)) == 4


def test_export_names_what_a_strategy_needs(shop_built, capsys) -> None:
    assert cli(shop_built, "label", "export", "shop", "--tool", "csv",
               "--strategy", "lf_conflict") == 2
    assert "recipe 'shop': the 'lf_conflict' strategy needs labeling functions " \
           "(labeling.functions), which the recipe does not declare. Pick another strategy " \
           "(--strategy least_confident or audit)" in capsys.readouterr().err
    assert cli(shop_built, "label", "export", "shop", "--tool", "csv",
               "--strategy", "disagreement") == 2
    assert "the 'disagreement' strategy needs labeling functions (labeling.functions) and " \
           "model-assisted labels (labeling.pseudo)" in capsys.readouterr().err
    assert not (shop_built.data("shop") / "queue").exists()


def test_export_before_a_build(shop, capsys) -> None:
    assert cli(shop, "label", "export", "shop", "--tool", "csv") == 2
    assert "data/shop/labeled: not found; build the dataset first (`builder build " \
           "shop` or `dvc repro`)." in capsys.readouterr().err


def test_import_rebuild_status_and_next_export(shop_built, capsys) -> None:
    export = FIXTURES / "labelstudio_export.json"
    assert cli(shop_built, "label", "import", "shop", str(export), "--tool", "labelstudio",
               "--by", "dana@example.com") == 0
    out = capsys.readouterr().out
    assert "5 labels written to labels/shop/batch-0001-labelstudio-" in out
    assert "Skipped: 1 cancelled." in out
    assert cli(shop_built, "label", "import", "shop", str(export), "--tool", "labelstudio") == 0
    assert "was already imported as batch-0001-labelstudio-" in capsys.readouterr().out
    ctx = build_labeled(shop_built)
    labeled = read_artifact(ctx.artifact("labeled")).set_index("_id")
    assert labeled.loc[["shop/r3", "shop/r4"], "label_source"].tolist() == ["human", "human"]
    assert cli(shop_built, "label", "status", "shop") == 0
    status = capsys.readouterr().out
    assert "shop: 8 rows in data/shop/labeled; label store labels/shop: 1 batches, 5 " \
           "records." in status
    assert "Rows by label source: gold 3, human 2, unlabeled 3" in status
    assert "Classes: pos 3, neg 2 (unlabeled 3)" in status
    assert "Human labels (majority): 2 rows, 2 with several annotators, 1 ties" in status
    assert "labelstudio:2: 3 labels, accuracy vs consensus 1.000 over 1 rows" in status
    # r3 and r4 have human labels: the queue holds the other unlabeled rows, and r5 (a tie).
    assert "Queue (least_confident, seed " in status
    assert "3 candidate rows; the next export would pick 3, first 3:" in status
    picked = [line.split()[0] for line in status.splitlines() if line.startswith("  shop/")]
    assert sorted(picked) == ["shop/r2", "shop/r6", "shop/r7"]


def test_a_bad_import_exits_2_and_leaves_the_store_alone(shop_built, tmp_path, capsys) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("row_id,label,annotator\nshop/r1,pos,eve\nshop/r42,neg,eve\n")
    assert cli(shop_built, "label", "import", "shop", str(bad), "--tool", "csv") == 2
    err = capsys.readouterr().err
    assert f"error: {bad} (csv): cannot import, 1 problem; nothing was written to labels/shop:\n" \
           "  line 3: unknown row id 'shop/r42'" in err
    assert not (shop_built.root / "labels").exists()
    assert cli(shop_built, "label", "import", "shop", str(tmp_path / "nope.json"),
               "--tool", "labelstudio") == 2
    assert "nope.json: not found; expected the file exported by labelstudio." in \
           capsys.readouterr().err


def test_an_export_with_only_skips_imports_nothing(shop_built, tmp_path, capsys) -> None:
    path = tmp_path / "skips.json"
    path.write_text(json.dumps([{"id": 1, "data": {"row_id": "shop/r2"}, "annotations": [
        {"id": 1, "completed_by": 1, "was_cancelled": True, "result": []}]}]))
    assert cli(shop_built, "label", "import", "shop", str(path), "--tool", "labelstudio") == 0
    assert "no labels to import (skipped: 1 cancelled); the store is unchanged." in \
           capsys.readouterr().out
