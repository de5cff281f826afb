"""`type: hf`: `save_to_disk` folders and parquet folders read by `datasets`, ClassLabel names."""

from __future__ import annotations

import re
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder.errors import DataError
from builder.sources.hf import HfConfig, HfSource

FEATURES = datasets.Features({"text": datasets.Value("string"),
                              "label": datasets.ClassLabel(names=["neg", "pos"])})


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


def read(root: Path, **options) -> dict:
    config = HfConfig(type="hf", **options)
    return HfSource("hub", config, root).read().to_pydict()


@pytest.fixture
def saved(project) -> Path:
    """A DatasetDict (train, test) with a ClassLabel, written by `save_to_disk`."""
    folder = project.root / "saved"
    datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"text": ["good", "bad"], "label": [1, 0]},
                                            features=FEATURES),
        "test": datasets.Dataset.from_dict({"text": ["fine", "unknown"], "label": [1, -1]},
                                           features=FEATURES),
    }).save_to_disk(str(folder))
    return folder


def test_save_to_disk_folder_every_split_with_class_names(project, saved) -> None:
    assert read(project.root, path="saved") == {
        "text": ["good", "bad", "fine", "unknown"], "label": ["pos", "neg", "pos", None]}


def test_class_names_false_keeps_the_integers(project, saved) -> None:
    assert read(project.root, path="saved", class_names=False)["label"] == [1, 0, 1, -1]


def test_splits_option_picks_splits_in_the_given_order(project, saved) -> None:
    assert read(project.root, path="saved", splits=["test", "train"])["text"] == [
        "fine", "unknown", "good", "bad"]
    assert read(project.root, path="saved", splits=["test"])["text"] == ["fine", "unknown"]


def test_a_missing_split_is_named(project, saved) -> None:
    with pytest.raises(DataError, match=re.escape(
            "source 'hub' (hf): has no split ['validation']; it has ['test', 'train'].")):
        read(project.root, path="saved", splits=["train", "validation"])


def test_a_single_saved_dataset(project) -> None:
    datasets.Dataset.from_dict({"text": ["a"], "label": [0]}, features=FEATURES).save_to_disk(
        str(project.root / "one"))
    assert read(project.root, path="one") == {"text": ["a"], "label": ["neg"]}


def test_parquet_folder_read_by_load_dataset(project) -> None:
    folder = project.root / "pq" / "data"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"text": ["good", "bad"], "stars": [5, 1]}),
                   folder / "train-00000-of-00001.parquet")
    pq.write_table(pa.table({"text": ["fine"], "stars": [4]}),
                   folder / "test-00000-of-00001.parquet")
    assert read(project.root, path="pq") == {"text": ["good", "bad", "fine"], "stars": [5, 1, 4]}
    assert read(project.root, path="pq", splits=["test"]) == {"text": ["fine"], "stars": [4]}


def test_our_own_hub_export_reads_back_with_class_names(ingest, project, saved) -> None:
    """A Hub layout with a card (as the export stage writes) keeps its ClassLabel names."""
    datasets.load_from_disk(str(saved))["train"].to_parquet(
        str(project.root / "hubcopy/data/train-00000-of-00001.parquet"))
    (project.root / "hubcopy/README.md").write_text(
        "---\ndataset_info:\n  features:\n  - name: text\n    dtype: string\n  - name: label\n"
        "    dtype:\n      class_label:\n        names:\n          '0': neg\n          '1': pos\n"
        "configs:\n- config_name: default\n  data_files:\n  - split: train\n"
        "    path: data/train-*\n---\n")
    df, metrics = ingest("hub: {type: hf, path: hubcopy}")
    assert df[["text", "label", "_source"]].to_dict("list") == {
        "text": ["good", "bad"], "label": ["pos", "neg"], "_source": ["hub", "hub"]}
    assert metrics["sources"]["hub"]["rows"] == 2


def test_an_unreadable_folder_names_the_source(project) -> None:
    project.write("broken/train.parquet", "not parquet")
    with pytest.raises(DataError, match=re.escape("source 'hub' (hf): cannot load ")
                       + r"\S*broken: .*Expected a dataset folder written by `save_to_disk`"):
        read(project.root, path="broken")


def test_an_empty_folder_names_the_source(project) -> None:
    (project.root / "empty").mkdir()
    with pytest.raises(DataError, match=re.escape("source 'hub' (hf): cannot load ")
                       + r"\S*empty: The directory at \S+ doesn't contain any data files\. "):
        read(project.root, path="empty")


def test_files_that_disagree_give_the_underlying_reason(project) -> None:
    project.write("mixed/train-1.csv", "a,b\n1,2\n")
    project.write("mixed/train-2.csv", "c\nx\n")
    with pytest.raises(DataError, match=re.escape("source 'hub' (hf): cannot load ")
                       + r"\S*mixed: An error occurred while generating the dataset: Schema at "
                       r"index 1 was different: a: int64 b: int64 vs c: string\. Expected"):
        read(project.root, path="mixed")
