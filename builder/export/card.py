"""The dataset card: Hub YAML metadata and prose built from the stage metrics.

Every number in the card comes from `metrics.json`, which comes from the rows' own provenance
columns, so each figure can be traced back to rows.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml

from builder.balance.card import section_balance
from builder.synthetic.card import section_evaluation, section_synthetic

if TYPE_CHECKING:
    import datasets

    from builder.recipe.compose import Composed

TASK_CATEGORIES = {
    "text-classification": "text-classification",
    "tabular-classification": "tabular-classification",
}


def size_category(rows: int) -> str:
    """The Hub's `size_categories` bucket for a row count."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
              (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"),
              (1_000_000_000, "100M<n<1B")]
    for bound, name in bounds:
        if rows < bound:
            return name
    return "n>1T" if rows >= 10**12 else "1B<n<10B"


def card_metadata(composed: Composed, dataset_dict: datasets.DatasetDict,
                  shard_bytes: dict[str, int]) -> Any:
    """`DatasetCardData` with licence, task, size, configs and `dataset_info` (features, splits)."""
    import datasets
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    recipe = composed.recipe
    rows = sum(d.num_rows for d in dataset_dict.values())
    card_data = DatasetCardData(
        license=recipe.publish.license,
        task_categories=[TASK_CATEGORIES[recipe.task.type]],
        size_categories=[size_category(rows)],
        pretty_name=recipe.publish.pretty_name or recipe.name,
        tags=["flywheel", *recipe.publish.tags],
        language=recipe.publish.language or None,
    )
    first = next(iter(dataset_dict.values()))
    info = datasets.DatasetInfo(features=first.features, splits=datasets.SplitDict(),
                                download_size=sum(shard_bytes.values()), dataset_size=0)
    for name, dataset in dataset_dict.items():
        info.splits.add(datasets.SplitInfo(name=name, num_bytes=dataset.data.nbytes,
                                           num_examples=dataset.num_rows))
        info.dataset_size += dataset.data.nbytes
    DatasetInfosDict({"default": info}).to_dataset_card_data(card_data)
    configs = {"default": {"data_files": [
        {"split": name, "path": f"data/{name}-*"} for name in dataset_dict]}}
    MetadataConfigs(configs).to_dataset_card_data(card_data)
    return card_data


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def section_summary(composed: Composed, metrics: dict) -> str:
    recipe = composed.recipe
    rows = sum(metrics["export"]["rows_per_split"].values())
    description = recipe.publish.description.strip() or (
        f"A {recipe.task.type} dataset with the classes {', '.join(recipe.task.classes)}, "
        f"built by Flywheel from the recipe `{recipe.name}`.")
    return (f"# {recipe.publish.pretty_name or recipe.name}\n\n{description}\n\n"
            f"{rows} rows in {len(metrics['export']['rows_per_split'])} splits. "
            f"Content hash: `{metrics['export']['content_hash']}`.")


def section_sources(composed: Composed, metrics: dict) -> str:
    rows = []
    for name, source in metrics["ingest"]["sources"].items():
        files = source.get("files") or {}
        hashes = "<br>".join(f"`{path}` sha256 `{digest}`" for path, digest in files.items())
        rows.append([name, source["type"], source["rows"], hashes or "(not a file)"])
    return "## Sources\n\n" + _table(["source", "type", "rows", "files"], rows)


def section_steps(composed: Composed, metrics: dict) -> str:
    rows = [[f"source: {n}", s["type"], "", s["rows"]] for n, s in metrics["ingest"]["sources"].items()]
    rows += [[s["name"], s["type"], s["rows_in"], s["rows_out"]] for s in metrics["ingest"]["steps"]]
    label = metrics["label"]
    rows.append(["label", "label stage", label["rows_in"], label["rows_out"]])
    augment = metrics["augment"]
    rows.append(["augment", "augment stage", label["rows_out"], augment["rows"]])
    return "## Rows kept by each step\n\n" + _table(["step", "type", "rows in", "rows out"], rows)


def section_labels(composed: Composed, metrics: dict) -> str:
    sources = metrics["label"]["label_sources"]
    rows = [[name, count] for name, count in sources.items()]
    return "## Labels\n\n" + _table(["label source", "rows"], rows)


def section_splits(composed: Composed, metrics: dict) -> str:
    classes = composed.recipe.task.classes
    per_split = metrics["export"]["classes_per_split"]
    header = ["split", "rows", *classes]
    rows = [[split, sum(counts.values()), *[counts.get(c, 0) for c in classes]]
            for split, counts in per_split.items()]
    split = composed.recipe.split
    text = ("## Splits\n\nRows are assigned to splits from a hash of their `_id`"
            + (f" (of the `{split.group}` group)" if split.group else "")
            + f" and the seed {composed.recipe.split_seed}, so a row never changes split when "
            "data is added.\n\n")
    warnings = metrics["split"].get("warnings") or []
    if warnings:
        text += "Warnings: " + "; ".join(warnings) + ".\n\n"
    return text + _table(header, rows)


def section_recipe(composed: Composed, metrics: dict) -> str:
    recipe_yaml = yaml.safe_dump(composed.resolved(), sort_keys=False).rstrip()
    name = composed.recipe.name
    if composed.overrides:  # built with command-line overrides: only they give this recipe
        command = shlex.join(["builder", "build", name, *composed.overrides])
        steps = f"make setup\n{command}"
    else:
        steps = (f"make build          # or: dvc repro\n"
                 f"builder build {name}  # the same, without DVC")
    return (
        "## How to reproduce\n\n"
        f"```\ngit clone <this project> && cd <it>\n{steps}\n```\n\n"
        f"The resolved recipe:\n\n```yaml\n{recipe_yaml}\n```"
    )


#: The card's prose sections, in order. Later issues add theirs here. A section with nothing to
#: say returns "".
SECTIONS: list[Callable[[Any, dict], str]] = [
    section_summary, section_sources, section_steps, section_labels, section_splits,
    section_balance, section_synthetic, section_evaluation,
    section_recipe,
]


def render_card(composed: Composed, dataset_dict: datasets.DatasetDict, metrics: dict,
                shard_bytes: dict[str, int]) -> str:
    """The whole `README.md`: YAML metadata between `---` lines, then the prose sections."""
    card_data = card_metadata(composed, dataset_dict, shard_bytes)
    prose = "\n\n".join(text for text in (section(composed, metrics) for section in SECTIONS) if text)
    return f"---\n{card_data.to_yaml()}\n---\n\n{prose}\n"
