"""The export stage: `augmented.parquet` -> `dataset/`, `hub/`, `README.md`, `metrics.json`."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from builder import artifacts
from builder.augment import ARTIFACT as INPUT
from builder.export.card import render_card
from builder.export.dataset import (as_dataset_dict, split_tables, write_arrow_shards,
                                    write_dataset_dict_json, write_split_state)
from builder.export.dvc_files import write_dvc_files
from builder.export.hub import write_split_shards

if TYPE_CHECKING:
    import datasets

    from builder.stages import Context

STAGE_METRICS = ("ingest", "label", "split", "augment")


def content_hash(checksums: dict[str, str]) -> str:
    """One sha256 over the shards' sha256s: the identity of the dataset's content."""
    lines = "".join(f"{path} {digest}\n" for path, digest in sorted(checksums.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def split_fingerprint(checksums: dict[str, str]) -> str:
    """A split's `Dataset` fingerprint from its shards' sha256s, so the same rows give the same
    `state.json` (and `datasets` caches key on content, not on build time)."""
    return content_hash(checksums)[:16]


def export_metrics(tables: dict[str, pa.Table], ctx: Context,
                   checksums: dict[str, str]) -> dict[str, Any]:
    """Rows and classes per split (from the published label codes), shard checksums."""
    classes = ctx.recipe.task.classes
    per_split = {}
    for split, table in tables.items():
        codes = table.column(ctx.recipe.task.label).to_numpy()
        counts = np.bincount(codes[codes >= 0], minlength=len(classes))
        per_split[split] = {c: int(n) for c, n in zip(classes, counts)}
    return {
        "rows_per_split": {s: t.num_rows for s, t in tables.items()},
        "classes_per_split": per_split,
        "origins_per_split": counts_per_split(tables, "_origin"),
        "label_sources_per_split": label_sources_per_split(tables, ctx.recipe.task.label),
        "shards": checksums,
        "content_hash": content_hash(checksums),
        "versions": library_versions(),
    }


def counts_per_split(tables: dict[str, pa.Table], column: str) -> dict[str, dict[str, int]]:
    """{split: {value: rows}} for a provenance column ({} when the column is absent)."""
    import pyarrow.compute as pc

    if any(column not in t.column_names for t in tables.values()):
        return {}
    result = {}
    for split, table in tables.items():
        counts = pc.value_counts(pc.fill_null(table.column(column), "(none)")).to_pylist()
        result[split] = {str(c["values"]): int(c["counts"]) for c in sorted(
            counts, key=lambda c: str(c["values"]))}
    return result


def label_sources_per_split(tables: dict[str, pa.Table],
                            label: str) -> dict[str, dict[str, int]]:
    """{split: {label source: rows}} ({} without a `label_source` column). A row without a
    label source is `unlabeled` when it has no label either; else the augment stage made it
    with its class, and it counts under its `_origin` (`synthetic`, `smote`, `oversampled`)."""
    if any("label_source" not in t.column_names for t in tables.values()):
        return {}
    return {split: _label_sources(table, label) for split, table in tables.items()}


def _label_sources(table: pa.Table, label: str) -> dict[str, int]:
    import pyarrow.compute as pc

    made = (table.column("_origin") if "_origin" in table.column_names
            else pa.nulls(table.num_rows, pa.string()))
    unlabeled = pc.less(table.column(label), 0)  # the published label is a ClassLabel code
    missing = pc.if_else(pc.fill_null(unlabeled, True), "unlabeled",
                         pc.fill_null(pc.cast(made, pa.string()), "unlabeled"))
    sources = pc.fill_null(pc.cast(table.column("label_source"), pa.string()), missing)
    counts = pc.value_counts(sources).to_pylist()
    return {str(c["values"]): int(c["counts"])
            for c in sorted(counts, key=lambda c: str(c["values"]))}


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose output bytes depend on them (part of reproducing)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("datasets", "pyarrow")}


def write_outputs(features, tables: dict[str, pa.Table], hub: Path,
                  saved: Path) -> tuple[dict[str, str], datasets.DatasetDict]:
    """The Hub shards and the `save_to_disk` folder, written in parallel threads; returns the
    shard checksums and the `DatasetDict` (fingerprinted from them)."""
    splits = list(tables)
    # Writing parquet does not need a fingerprint; the final one comes from the shards' bytes.
    unsaved = as_dataset_dict(features, tables, {s: f"{s}-unsaved" for s in splits})
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="export") as pool:
        shards = {s: pool.submit(write_split_shards, s, unsaved[s], hub) for s in splits}
        arrow = {s: pool.submit(write_arrow_shards, tables[s], features, saved / s) for s in splits}
        per_split = {s: job.result() for s, job in shards.items()}
        files = {s: job.result() for s, job in arrow.items()}
    fingerprints = {s: split_fingerprint(sums) for s, sums in per_split.items()}
    dataset_dict = as_dataset_dict(features, tables, fingerprints)
    write_dataset_dict_json(splits, saved)
    for split, dataset in dataset_dict.items():
        write_split_state(dataset, saved / split, files[split])
    checksums = {path: digest for sums in per_split.values() for path, digest in sums.items()}
    return checksums, dataset_dict


def run(ctx: Context) -> dict[str, Any]:
    """Build the `DatasetDict` and write every output to temporary folders, then swap them in."""
    import datasets

    datasets.disable_progress_bars()  # the build shows its own progress
    df = artifacts.read_parquet(ctx.artifact(INPUT), "augment")
    splits = list(ctx.recipe.split.fractions)
    features, tables = split_tables(df, ctx.recipe.task, splits)
    del df
    metrics = {stage: artifacts.read_json(ctx.metrics_path(stage)) for stage in STAGE_METRICS}
    metrics["recipe"] = ctx.recipe.name
    with ExitStack() as stack:
        hub = stack.enter_context(artifacts.atomic_dir(ctx.artifact("hub")))
        saved = stack.enter_context(artifacts.atomic_dir(ctx.artifact("dataset")))
        checksums, dataset_dict = write_outputs(features, tables, hub, saved)
        metrics["export"] = export_metrics(tables, ctx, checksums)
        shard_bytes = {p: (hub / p).stat().st_size for p in checksums}
        card = render_card(ctx.composed, dataset_dict, metrics, shard_bytes)
        (hub / "README.md").write_text(card)
        # The folders are swapped in when the `with` block ends, the card and metrics after.
    with artifacts.atomic_file(ctx.artifact("README.md")) as tmp:
        tmp.write_text(card)
    artifacts.write_json(metrics, ctx.artifact("metrics.json"))
    write_dvc_files(metrics, ctx.data_dir)
    return metrics["export"]
