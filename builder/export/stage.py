"""The export stage: `augmented.parquet` -> `dataset/`, `hub/`, `README.md`, `metrics.json`."""

from __future__ import annotations

import hashlib
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from builder import artifacts
from builder.augment import ARTIFACT as INPUT
from builder.export.card import render_card
from builder.export.dataset import build_dataset_dict
from builder.export.dvc_files import write_dvc_files
from builder.export.hub import write_shards
from builder.split import SPLIT_COLUMN

if TYPE_CHECKING:
    from builder.stages import Context

STAGE_METRICS = ("ingest", "label", "split", "augment")


def content_hash(checksums: dict[str, str]) -> str:
    """One sha256 over the shards' sha256s: the identity of the dataset's content."""
    lines = "".join(f"{path} {digest}\n" for path, digest in sorted(checksums.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def export_metrics(df, ctx: Context, checksums: dict[str, str]) -> dict[str, Any]:
    task = ctx.recipe.task
    splits = list(ctx.recipe.split.fractions)
    per_split = {}
    for split in splits:
        part = df[df[SPLIT_COLUMN] == split]
        counts = part[task.label].value_counts().reindex(task.classes, fill_value=0)
        per_split[split] = {c: int(n) for c, n in counts.items()}
    return {
        "rows_per_split": {s: int((df[SPLIT_COLUMN] == s).sum()) for s in splits},
        "classes_per_split": per_split,
        "origins_per_split": counts_per_split(df, "_origin", splits),
        "label_sources_per_split": counts_per_split(df, "label_source", splits, "unlabeled"),
        "shards": checksums,
        "content_hash": content_hash(checksums),
        "versions": library_versions(),
    }


def counts_per_split(df, column: str, splits: list[str], missing: str = "(none)") -> dict[str, dict[str, int]]:
    """{split: {value: rows}} for a provenance column ({} when the column is absent)."""
    if column not in df.columns:
        return {}
    values = df[column].astype("string").fillna(missing).rename("value")
    counts = values.groupby(df[SPLIT_COLUMN].astype("string")).value_counts().sort_index()
    return {split: {str(value): int(n) for (s, value), n in counts.items() if s == split}
            for split in splits}


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose output bytes depend on them (part of reproducing)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("datasets", "pyarrow")}


def run(ctx: Context) -> dict[str, Any]:
    """Build the `DatasetDict` and write every output to temporary folders, then swap them in."""
    import datasets

    datasets.disable_progress_bars()  # the build shows its own progress
    df = artifacts.read_parquet(ctx.artifact(INPUT), "augment")
    splits = list(ctx.recipe.split.fractions)
    dataset_dict = build_dataset_dict(df, ctx.recipe.task, splits)
    metrics = {stage: artifacts.read_json(ctx.metrics_path(stage)) for stage in STAGE_METRICS}
    metrics["recipe"] = ctx.recipe.name
    with ExitStack() as stack:
        hub = stack.enter_context(artifacts.atomic_dir(ctx.artifact("hub")))
        saved = stack.enter_context(artifacts.atomic_dir(ctx.artifact("dataset")))
        checksums = write_shards(dataset_dict, hub)
        metrics["export"] = export_metrics(df, ctx, checksums)
        shard_bytes = {p: (hub / p).stat().st_size for p in checksums}
        card = render_card(ctx.composed, dataset_dict, metrics, shard_bytes)
        (hub / "README.md").write_text(card)
        dataset_dict.save_to_disk(str(saved))
        # The folders are swapped in when the `with` block ends, the card and metrics after.
    with artifacts.atomic_file(ctx.artifact("README.md")) as tmp:
        tmp.write_text(card)
    artifacts.write_json(metrics, ctx.artifact("metrics.json"))
    write_dvc_files(metrics, ctx.data_dir)
    return metrics["export"]
