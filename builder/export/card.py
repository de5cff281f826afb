"""The dataset card: Hub YAML metadata and prose built from the stage metrics.

Every number in the card comes from `metrics.json`, which comes from the rows' own provenance
columns, so each figure can be traced back to rows.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml

from builder.balance.card import section_balance
from builder.images.card import section_images
from builder.labeling.card import section_labeling
from builder.labeling.human.card import section_human
from builder.markdown import table
from builder.synthetic.card import section_evaluation, section_synthetic

if TYPE_CHECKING:
    import datasets

    from builder.recipe.compose import Composed

TASK_CATEGORIES = {
    "text-classification": "text-classification",
    "tabular-classification": "tabular-classification",
    "image-classification": "image-classification",
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
                  shard_bytes: dict[str, int], split_bytes: dict[str, int]) -> Any:
    """`DatasetCardData` with licence, task, size, configs and `dataset_info` (features, splits).
    `split_bytes`: each split's Arrow bytes as `Table.nbytes` counts them (the export counted
    them as it wrote; `nbytes` of the memory-mapped split would read every page of it)."""
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
        info.splits.add(datasets.SplitInfo(name=name, num_bytes=split_bytes[name],
                                           num_examples=dataset.num_rows))
        info.dataset_size += split_bytes[name]
    DatasetInfosDict({"default": info}).to_dataset_card_data(card_data)
    configs = {"default": {"data_files": [
        {"split": name, "path": f"data/{name}-*"} for name in dataset_dict]}}
    MetadataConfigs(configs).to_dataset_card_data(card_data)
    return card_data


def share(part: float, whole: float) -> str:
    """`part` as a percentage of `whole`, e.g. `12.5%`."""
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _total_rows(metrics: dict) -> int:
    return sum(metrics["export"]["rows_per_split"].values())


def _task_sentence(composed: Composed) -> str:
    task = composed.recipe.task
    what = f"the text column `{task.text}`" if task.text else "the feature columns"
    if task.image:
        what = f"the image column `{task.image}`"
    return (f"predict `{task.label}` ({', '.join(f'`{c}`' for c in task.classes)}) from {what}")


def section_summary(composed: Composed, metrics: dict) -> str:
    """Title, description, size and the content hash, and how to load the dataset."""
    recipe = composed.recipe
    splits = metrics["export"]["rows_per_split"]
    description = recipe.publish.description.strip() or (
        f"A {recipe.task.type} dataset to {_task_sentence(composed)}, built by Flywheel from the "
        f"recipe `{recipe.name}`.")
    parts = ", ".join(f"{name} {rows:,}" for name, rows in splits.items())
    repo = recipe.publish.repo_id or "<namespace>/<name>"
    return (f"# {recipe.publish.pretty_name or recipe.name}\n\n{description}\n\n"
            f"{_total_rows(metrics):,} rows in {len(splits)} splits ({parts}). "
            f"Content hash (sha256 over the parquet shards): `{metrics['export']['content_hash']}`.\n\n"
            "Every row keeps its history: `_id` (a stable row id), `_source` (the source it came "
            "from), `label_source` and `label_confidence` (where its label came from), and "
            "`_origin` (real, or how a balancing or synthesis step made it).\n\n"
            f"```python\nfrom datasets import load_dataset\n\nds = load_dataset(\"{repo}\")\n```")


def default_limitations(composed: Composed, metrics: dict) -> list[str]:
    """Limitations that follow from the build's own figures (imbalance, label noise, synthesis)."""
    notes = []
    classes = composed.recipe.task.classes
    totals = {c: sum(per.get(c, 0) for per in metrics["export"]["classes_per_split"].values())
              for c in classes}
    rows = sum(totals.values())
    rare = [c for c in classes if rows and totals[c] / rows < 0.1]
    if rare:
        notes.append("Imbalanced classes: " + ", ".join(
            f"`{c}` is {share(totals[c], rows)} of the rows" for c in rare)
            + "; report per-class metrics, not accuracy alone.")
    sources = metrics.get("label", {}).get("label_sources", {})
    labeled = sum(sources.values())
    machine = {s: n for s, n in sources.items() if s in ("weak", "pseudo") and n}
    if machine:
        notes.append("Not every label was given by a person: " + ", ".join(
            f"{share(n, labeled)} are `{s}` labels" for s, n in sorted(machine.items()))
            + "; filter on `label_source` and `label_confidence` to use only the labels you trust.")
    origins = metrics.get("augment", {}).get("origins", {})
    made = sum(n for origin, n in origins.items() if origin != "real")
    if made:
        notes.append(f"{share(made, sum(origins.values()))} of the rows were made by balancing or "
                     "synthesis (column `_origin`), in the train split only; evaluation splits hold "
                     "real rows.")
    dropped = metrics.get("label", {}).get("unlabeled_dropped", 0)
    if dropped:
        notes.append(f"{dropped:,} rows without a label were left out.")
    for warning in metrics.get("split", {}).get("warnings") or []:
        notes.append(f"Split: {warning}.")
    notes.append("The rows reflect their sources (listed below): their coverage, time span and "
                 "biases carry over to any model trained on them.")
    return notes


def section_intended_use(composed: Composed, metrics: dict) -> str:
    """`publish.intended_use` and `publish.limitations`, or defaults drawn from the metrics."""
    publish = composed.recipe.publish
    use = publish.intended_use.strip() or (
        f"Training and evaluating {composed.recipe.task.type} models that "
        f"{_task_sentence(composed)}. Train on `train`, tune on the other splits except `test`, "
        "and report results on `test`, which stays comparable between builds.")
    limits = [line.strip() for line in publish.limitations] + default_limitations(composed, metrics)
    return ("## Intended use and limitations\n\n" + use + "\n\n"
            + "\n".join(f"- {line}" for line in limits if line))


def section_sources(composed: Composed, metrics: dict) -> str:
    """Each source: type, rows read, and the sha256 of each file (or the Hub commit) it read."""
    rows = []
    for name, source in metrics["ingest"]["sources"].items():
        files = source.get("files") or {}
        read = [f"Hub dataset `{path[4:]}` at commit `{digest}`" if path.startswith("hub:")
                else f"`{path}` sha256 `{digest}`" for path, digest in files.items()]
        rows.append([name, source["type"], f"{source['rows']:,}", "<br>".join(read) or "(no file)"])
    return "## Sources\n\n" + table(["source", "type", "rows", "read from"], rows)


def section_steps(composed: Composed, metrics: dict) -> str:
    """Rows in and out of every source, transform and stage."""
    rows = [[f"source `{n}`", s["type"], "", f"{s['rows']:,}"]
            for n, s in metrics["ingest"]["sources"].items()]
    rows += [[f"`{s['name']}`", s["type"], f"{s['rows_in']:,}", f"{s['rows_out']:,}"]
             for s in metrics["ingest"]["steps"]]
    label = metrics["label"]
    rows.append(["label", "label stage", f"{label['rows_in']:,}", f"{label['rows_out']:,}"])
    split_rows = sum(metrics["split"]["rows"].values())
    rows.append(["split", "split stage", f"{label['rows_out']:,}", f"{split_rows:,}"])
    rows.append(["augment", "augment stage", f"{split_rows:,}", f"{metrics['augment']['rows']:,}"])
    return "## Rows kept by each step\n\n" + table(["step", "type", "rows in", "rows out"], rows)


def section_labels(composed: Composed, metrics: dict) -> str:
    """Where the labels came from: rows per `label_source`, overall and per split."""
    per_split = metrics["export"].get("label_sources_per_split") or {}
    sources = sorted({s for counts in per_split.values() for s in counts})
    if not sources:
        return ""
    totals = {s: sum(per_split[split].get(s, 0) for split in per_split) for s in sources}
    whole = sum(totals.values())
    rows = [[f"`{s}`", f"{totals[s]:,}", share(totals[s], whole),
             *[f"{per_split[split].get(s, 0):,}" for split in per_split]] for s in sources]
    return ("## Label sources\n\nEach row's `label_source` says who gave its label (precedence "
            "human > gold > feedback > weak > pseudo); a row the augment stage made with its class "
            "counts under its origin (`synthetic`, `smote`, `oversampled`).\n\n"
            + table(["label source", "rows", "share", *per_split], rows))


def section_splits(composed: Composed, metrics: dict) -> str:
    """Rows per split and class, the train split before balancing, and rows' origins."""
    recipe = composed.recipe
    classes = recipe.task.classes
    after = metrics["export"]["classes_per_split"]
    before = metrics["split"].get("counts") or {}
    published = metrics["export"].get("rows_per_split") or {}
    sources = metrics["export"].get("label_sources_per_split") or {}
    rows = []
    for split, counts in after.items():
        if before.get(split) and before[split] != counts:
            rows.append([f"{split} (before balancing)", f"{sum(before[split].values()):,}",
                         *[f"{before[split].get(c, 0):,}" for c in classes], ""])
        rows.append([split, f"{published.get(split, sum(counts.values())):,}",
                     *[f"{counts.get(c, 0):,}" for c in classes],
                     f"{(sources.get(split) or {}).get('unlabeled', 0):,}"])
    split = recipe.split
    text = ("## Splits\n\nRows are assigned to splits from a keyed hash of their `_id`"
            + (f" (of their `{split.group}` group: a group never spans two splits)" if split.group else "")
            + f" and the seed {recipe.split_seed}, so a row never changes split when data is "
            "added and the test split stays comparable from one build to the next.\n\n")
    text += table(["split", "rows", *[f"`{c}`" for c in classes], "unlabeled"], rows)
    origins = metrics["export"].get("origins_per_split") or {}
    kinds = sorted({o for counts in origins.values() for o in counts})
    if any(kind != "real" for kind in kinds):
        text += "\n\nOrigin of the rows (`_origin`):\n\n" + table(
            ["split", *[f"`{k}`" for k in kinds]],
            [[s, *[f"{counts.get(k, 0):,}" for k in kinds]] for s, counts in origins.items()])
    warnings = metrics["split"].get("warnings") or []
    if warnings:
        text += "\n\nWarnings: " + "; ".join(warnings) + "."
    return text


def section_license(composed: Composed, metrics: dict) -> str:
    """The licence the dataset is published under, and the sources' terms."""
    license = composed.recipe.publish.license
    if license == "other":
        terms = ("No licence identifier is declared (`other`): the terms of each source listed "
                 "above apply.")
    else:
        terms = (f"Released under `{license}`, as far as the sources' own terms allow: check the "
                 "terms of each source listed above.")
    return "## Licence\n\n" + terms


def section_recipe(composed: Composed, metrics: dict) -> str:
    """The commands and the resolved recipe that rebuild this dataset byte for byte."""
    recipe_yaml = yaml.safe_dump(composed.resolved(), sort_keys=False).rstrip()
    name = composed.recipe.name
    versions = metrics.get("export", {}).get("versions") or {}
    pinned = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
    overrides = composed.content_overrides  # not the engine's: it never changes the outputs
    if overrides:  # built with command-line overrides: only they give this recipe
        commands = f"make setup\n{shlex.join(['builder', 'build', name, *overrides])}\n"
    else:
        commands = (f"make build               # or: dvc repro\n"
                    f"builder build {name}     # the same, without DVC\n")
    return (
        "## How to reproduce\n\n"
        "With the Flywheel project that holds this recipe (`recipes/"
        f"{name}.yaml`) and the source files listed above:\n\n"
        f"```\n{commands}builder report {name}    # plots in data/{name}/report.html\n```\n\n"
        "The same recipe and inputs give byte-identical shards: compare "
        f"`export.content_hash` in `data/{name}/metrics.json` with the hash above"
        + (f" (built with {pinned})" if pinned else "") + ".\n\n"
        f"The resolved recipe:\n\n```yaml\n{recipe_yaml}\n```"
    )


#: The card's prose sections, in order: functions `(composed, metrics) -> str`, one per line,
#: each from the package whose metrics it shows. A section whose metrics are absent returns ""
#: and is left out.
SECTIONS: list[Callable[[Any, dict], str]] = [
    section_summary,
    section_intended_use,
    section_sources,
    section_steps,
    section_labels,
    section_labeling,
    section_human,
    section_splits,
    section_images,
    section_balance,
    section_synthetic,
    section_evaluation,
    section_license,
    section_recipe,
]

#: The generated prose sits between these markers. Publishing replaces only what is between
#: them on the Hub, so text the dataset's owner wrote around them is kept.
GENERATED_BEGIN = ("<!-- flywheel:begin (generated from the build's metrics; publishing "
                   "replaces everything up to flywheel:end) -->")
GENERATED_END = "<!-- flywheel:end -->"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n?", re.DOTALL)


def dump_metadata(metadata: dict[str, Any]) -> str:
    """Card metadata as YAML, the way `huggingface_hub` writes it (key order kept)."""
    from huggingface_hub.utils import yaml_dump

    return yaml_dump(metadata, sort_keys=False).strip()


def render_prose(composed: Composed, metrics: dict) -> str:
    """Every non-empty section, between the generated-block markers."""
    sections = [text.strip() for text in (section(composed, metrics) for section in SECTIONS)]
    body = "\n\n".join(text for text in sections if text)
    return f"{GENERATED_BEGIN}\n\n{body}\n\n{GENERATED_END}"


def render_card(composed: Composed, dataset_dict: datasets.DatasetDict, metrics: dict,
                shard_bytes: dict[str, int], split_bytes: dict[str, int]) -> str:
    """The whole `README.md`: YAML metadata between `---` lines, then the prose sections."""
    card_data = card_metadata(composed, dataset_dict, shard_bytes, split_bytes)
    return join_card(card_data.to_dict(), render_prose(composed, metrics))


def join_card(metadata: dict[str, Any], body: str) -> str:
    """A card's text from its metadata and its Markdown body."""
    front = f"---\n{dump_metadata(metadata)}\n---\n\n" if metadata else ""
    return front + body.strip() + "\n"


def split_card(text: str) -> tuple[dict[str, Any], str]:
    """(metadata, body) of a card; metadata is {} when there is none or it is not a mapping."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        metadata = yaml.safe_load(match[1])
    except yaml.YAMLError:
        metadata = None
    return (metadata if isinstance(metadata, dict) else {}), text[match.end():].lstrip("\n")


def merge_metadata(theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """Keys the build generates take the build's values; every other key of theirs is kept.

    `tags` is the union of both lists (theirs first). Their key order is kept; new keys follow.
    """
    merged = dict(theirs)
    for key, value in ours.items():
        if key == "tags" and isinstance(theirs.get("tags"), list):
            merged[key] = list(dict.fromkeys([*theirs["tags"], *value]))
        else:
            merged[key] = value
    return merged


def merge_body(theirs: str, ours: str) -> str:
    """Replace their generated block with ours; keep everything else they wrote.

    A card without a generated block (written by hand) keeps its text, and ours follows it.
    """
    block = ours[ours.index(GENERATED_BEGIN):ours.rindex(GENERATED_END) + len(GENERATED_END)]
    start, end = theirs.find(GENERATED_BEGIN), theirs.find(GENERATED_END)
    if start != -1 and end > start:
        return theirs[:start] + block + theirs[end + len(GENERATED_END):]
    if not theirs.strip():
        return block
    return theirs.rstrip() + "\n\n" + block


def merge_card(theirs: str | None, ours: str) -> str:
    """The card to publish: our build's card merged into the one already on the Hub."""
    our_metadata, our_body = split_card(ours)
    if theirs is None:
        return join_card(our_metadata, our_body)
    their_metadata, their_body = split_card(theirs)
    metadata = merge_metadata(their_metadata, our_metadata)
    body = merge_body(their_body, our_body)
    if metadata == their_metadata and body.strip() == their_body.strip():
        return theirs  # nothing of ours changed: keep their text, formatting included
    return join_card(metadata, body)
