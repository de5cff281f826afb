"""The dataset card: Hub YAML metadata that parses, and prose traced to the metrics."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
import yaml
from huggingface_hub import DatasetCard

from tests.conftest import REPO


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n", 2)[1])


@pytest.fixture(scope="module")
def card(credit) -> str:
    text = credit.artifact("README.md").read_text()
    assert credit.artifact("hub/README.md").read_text() == text
    return text


@pytest.fixture(scope="module")
def metrics(credit) -> dict:
    return json.loads(credit.artifact("metrics.json").read_text())


def test_metadata_has_the_hub_keys(card, metrics) -> None:
    meta = front_matter(card)
    assert meta["license"] == "mit"
    assert meta["task_categories"] == ["tabular-classification"]
    assert meta["size_categories"] == ["1K<n<10K"]
    assert meta["pretty_name"] == "Credit scoring (Flywheel)"
    assert meta["configs"] == [{"config_name": "default", "data_files": [
        {"split": s, "path": f"data/{s}-*"} for s in ("train", "validation", "test")]}]
    info = meta["dataset_info"]
    label = next(f for f in info["features"] if f["name"] == "Status")
    assert label["dtype"] == {"class_label": {"names": {"0": "good", "1": "bad"}}}
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == metrics["export"][
        "rows_per_split"]
    # huggingface_hub reads the same metadata
    assert DatasetCard(card).data.license == "mit"


def test_sources_with_row_counts_and_sha256(card) -> None:
    digest = hashlib.sha256((REPO / "recipes/data/credit_data.csv").read_bytes()).hexdigest()
    assert (f"| credit_data | csv | 4,454 | `recipes/data/credit_data.csv` sha256 `{digest}` |"
            in card)


def test_rows_kept_by_each_step(card, metrics) -> None:
    assert "| `plausible` | filter | 4,454 | 4,454 |" in card
    label = metrics["label"]
    assert f"| label | label stage | {label['rows_in']:,} | {label['rows_out']:,} |" in card


def test_class_distribution_per_split(card, metrics) -> None:
    for split, counts in metrics["export"]["classes_per_split"].items():
        row = f"| {split} | {sum(counts.values()):,} | {counts['good']:,} | {counts['bad']:,} |"
        assert row in card
    assert sum(metrics["export"]["rows_per_split"].values()) == metrics["augment"]["rows"]


def test_resolved_recipe_and_reproduce_command(card, credit) -> None:
    block = re.search(r"```yaml\n(.*?)\n```", card, re.S).group(1)
    assert yaml.safe_load(block) == yaml.safe_load(credit.artifact("recipe.yaml").read_text())
    assert "make build               # or: dvc repro\nbuilder build credit     # the same" in card


def test_reproduce_command_carries_the_overrides(types) -> None:
    card = types.artifact("README.md").read_text()
    assert "make setup\nbuilder build types split.seed=5 'task.classes=[neg,pos]'\nbuilder report" in card
