"""`dataset/` and `hub/`: a typed `DatasetDict` with the label as `ClassLabel`, loadable offline."""

from __future__ import annotations

import json
import subprocess
import sys

import datasets
import pandas as pd

from builder.partitions import read_artifact
from tests.conftest import cli_env


def test_features_are_typed_and_the_label_is_a_class_label(types) -> None:
    saved = datasets.load_from_disk(str(types.artifact("dataset")))
    assert list(saved) == ["train"]
    assert saved["train"].features == datasets.Features({
        "_id": datasets.Value("string"),
        "id": datasets.Value("int64"),
        "text": datasets.Value("string"),
        "count": datasets.Value("int64"),
        "score": datasets.Value("float64"),
        "flag": datasets.Value("bool"),
        "city": datasets.Value("string"),
        "when": datasets.Value("timestamp[ns]"),
        "label": datasets.ClassLabel(names=["neg", "pos"]),
        "_source": datasets.Value("string"),
        "_origin": datasets.Value("string"),
        "label_source": datasets.Value("string"),
        "label_confidence": datasets.Value("float64"),
    })
    rows = saved["train"].to_dict()
    assert {k: rows[k] for k in ("_id", "count", "score", "flag", "city", "label")} == {
        "_id": ["shop/1", "shop/2", "shop/3"],
        "count": [3, None, 7],
        "score": [0.5, 1.5, None],
        "flag": [True, False, True],
        "city": ["Paris", "Lyon", None],
        "label": [1, 0, 1],
    }
    assert [pd.Timestamp(t) for t in rows["when"]] == [
        pd.Timestamp("2026-01-02"), pd.Timestamp("2026-01-03 10:30"), pd.Timestamp("2026-01-04")]
    assert rows["label_source"] == ["gold"] * 3 and rows["_origin"] == ["real"] * 3


LOAD_OFFLINE = """
import sys, datasets
assert datasets.config.HF_HUB_OFFLINE
hub = datasets.load_dataset(sys.argv[1] + "/hub", cache_dir=sys.argv[2])
saved = datasets.load_from_disk(sys.argv[1] + "/dataset")
assert list(hub) == list(saved), (list(hub), list(saved))
for split in saved:
    assert hub[split].features == saved[split].features, split
    assert hub[split].to_dict() == saved[split].to_dict(), split
print(" ".join(f"{s}={hub[s].num_rows}" for s in hub))
"""


def test_hub_layout_loads_offline_with_the_same_rows(types, credit, tmp_path) -> None:
    """In a fresh interpreter with HF_HUB_OFFLINE=1, as a user without a network would."""
    for ctx in (types, credit):
        result = subprocess.run(
            [sys.executable, "-c", LOAD_OFFLINE, str(ctx.data_dir), str(tmp_path / "cache")],
            env=cli_env(), capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        rows = json.loads((ctx.data_dir / "metrics.json").read_text())["export"]["rows_per_split"]
        assert result.stdout.split() == [f"{s}={rows[s]}" for s in ctx.recipe.split.fractions]


def test_hub_shards_follow_the_push_to_hub_names(credit) -> None:
    shards = sorted(p.relative_to(credit.artifact("hub")).as_posix()
                    for p in credit.artifact("hub").rglob("*.parquet"))
    assert shards == ["data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet",
                      "data/validation-00000-of-00001.parquet"]


def test_real_credit_data_keeps_its_types_and_missing_values(credit) -> None:
    saved = datasets.load_from_disk(str(credit.artifact("dataset")))
    features = saved["train"].features
    assert features["Status"] == datasets.ClassLabel(names=["good", "bad"])
    assert features["Home"] == datasets.Value("string")  # category -> string
    assert features["Income"] == datasets.Value("float64")
    assert features["Seniority"] == datasets.Value("int64")
    augmented = read_artifact(credit.artifact("augmented"))  # balanced train
    assert sum(d.num_rows for d in saved.values()) == len(augmented)
    incomes = [v for d in saved.values() for v in d["Income"]]
    missing = int(augmented["Income"].isna().sum())
    assert sum(v is None for v in incomes) == missing > 0  # missing values stay missing
