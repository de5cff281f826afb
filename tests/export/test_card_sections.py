"""The dataset card: sections from metrics, valid Hub metadata, and merging with a card on the Hub."""

from __future__ import annotations

import pytest

from builder.export.card import (
    GENERATED_BEGIN,
    GENERATED_END,
    default_limitations,
    merge_body,
    merge_card,
    merge_metadata,
    section_labels,
    section_splits,
    split_card,
)

OURS = f"---\nlicense: mit\ntags:\n- flywheel\n---\n\n{GENERATED_BEGIN}\n\n# New\n\n{GENERATED_END}\n"


def test_metadata_merge_keeps_their_keys_and_takes_ours() -> None:
    theirs = {"license": "apache-2.0", "annotations_creators": ["expert-generated"], "tags": ["movies"]}
    ours = {"license": "mit", "tags": ["flywheel", "movies"], "size_categories": ["n<1K"]}
    assert merge_metadata(theirs, ours) == {
        "license": "mit", "annotations_creators": ["expert-generated"],
        "tags": ["movies", "flywheel"], "size_categories": ["n<1K"]}


def test_body_merge_replaces_only_the_generated_block() -> None:
    ours = f"{GENERATED_BEGIN}\n\nnew figures\n\n{GENERATED_END}"
    theirs = f"Intro.\n\n{GENERATED_BEGIN}\nold figures\n{GENERATED_END}\n\nContact: me."
    assert merge_body(theirs, ours) == f"Intro.\n\n{ours}\n\nContact: me."
    assert merge_body("A card written by hand.\n", ours) == f"A card written by hand.\n\n{ours}"
    assert merge_body("", ours) == ours


def test_card_merge_is_idempotent_and_keeps_an_unchanged_card_verbatim() -> None:
    theirs = ("---\n{license: apache-2.0, thumbnail: x.png}\n---\n\nHello.\n\n"
              f"{GENERATED_BEGIN}\nold\n{GENERATED_END}\n")
    merged = merge_card(theirs, OURS)
    metadata, body = split_card(merged)
    assert metadata == {"license": "mit", "thumbnail": "x.png", "tags": ["flywheel"]}
    assert body == f"Hello.\n\n{GENERATED_BEGIN}\n\n# New\n\n{GENERATED_END}\n"
    assert merge_card(merged, OURS) == merged
    assert merge_card(None, OURS) == OURS


def test_a_card_without_metadata_or_with_broken_yaml_is_merged_as_prose() -> None:
    assert split_card("no front matter") == ({}, "no front matter")
    assert split_card("---\n[unclosed\n---\nbody") == ({}, "body")
    merged = merge_card("Just prose.", OURS)
    assert merged.startswith("---\nlicense: mit\n") and "Just prose.\n\n" + GENERATED_BEGIN in merged


def metrics(**export) -> dict:
    base = {"classes_per_split": {"train": {"a": 90, "b": 5}, "test": {"a": 9, "b": 1}},
            "rows_per_split": {"train": 95, "test": 10}, "content_hash": "h"}
    return {"export": {**base, **export}, "split": {"counts": {"train": {"a": 90, "b": 2},
                                                               "test": {"a": 9, "b": 1}}},
            "label": {"label_sources": {"gold": 80, "weak": 25}, "unlabeled_dropped": 4},
            "augment": {"origins": {"real": 102, "smote": 3}}}


@pytest.fixture
def composed():
    from pathlib import Path

    from builder.recipe.compose import from_dict

    data = {"name": "tiny", "task": {"type": "tabular-classification", "label": "y", "classes": ["a", "b"]},
            "sources": {"s": {"type": "parquet", "path": __file__}}}
    return from_dict(data, Path("recipe.yaml"), Path(__file__).parent)


def test_sections_render_only_when_their_metrics_exist(composed) -> None:
    assert section_labels(composed, metrics()) == ""
    text = section_labels(composed, metrics(label_sources_per_split={"train": {"gold": 80, "weak": 15},
                                                                     "test": {"gold": 10}}))
    assert "| `weak` | 15 | 14.3% | 15 | 0 |" in text
    splits = section_splits(composed, metrics())
    assert "| train (before balancing) | 92 | 90 | 2 |" in splits
    assert "Origin of the rows" not in splits
    with_origins = section_splits(composed, metrics(origins_per_split={
        "train": {"real": 92, "smote": 3}, "test": {"real": 10}}))
    assert "| train | 92 | 3 |" in with_origins


def test_limitations_are_drawn_from_the_figures(composed) -> None:
    notes = default_limitations(composed, metrics())
    assert notes[0] == ("Imbalanced classes: `b` is 5.7% of the rows; report per-class metrics, "
                        "not accuracy alone.")
    assert notes[1].startswith("Not every label was given by a person: 23.8% are `weak` labels")
    assert notes[2].startswith("2.9% of the rows were made by balancing or synthesis")
    assert notes[3] == "4 rows without a label were left out."


@pytest.mark.slow
def test_the_built_card_is_valid_hub_metadata(built_reviews, hub) -> None:
    """The card of a real build parses with huggingface_hub's and datasets' card tooling, and
    passes the Hub's `validate-yaml` (the test server's)."""
    import datasets
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    card = DatasetCard((built_reviews.data("reviews") / "README.md").read_text())
    data = card.data
    assert data.license == "other" and data.task_categories == ["text-classification"]
    assert data.size_categories == ["1K<n<10K"] and data.pretty_name
    infos = DatasetInfosDict.from_dataset_card_data(data)
    local = datasets.load_from_disk(str(built_reviews.data("reviews") / "dataset"))
    assert infos["default"].features == local["train"].features
    assert {s: i.num_examples for s, i in infos["default"].splits.items()} == {
        s: d.num_rows for s, d in local.items()}
    configs = MetadataConfigs.from_dataset_card_data(data)
    assert configs["default"]["data_files"] == [
        {"split": s, "path": f"data/{s}-*"} for s in ("train", "validation", "test")]
    card.validate(repo_type="dataset")
    with pytest.raises(ValueError, match=r'size_categories.*has an unknown value.*huge'):
        DatasetCard(card.content.replace("1K<n<10K", "huge")).validate(repo_type="dataset")
    assert ("POST", "/api/validate-yaml") in hub.state.requests
