"""The export stage: the Hugging Face `DatasetDict` (`dataset/`), its Hub layout (`hub/`), the
dataset card and the build's metrics (`builder.export`), from `augmented/`.

One task per split streams the split's rows from every part into the Hub shards and the
`save_to_disk` files at once (`export.writer`); the `DatasetDict` is then memory-mapped from
those files for the card, and the folders are swapped in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.pipeline.stage import KERNEL_CODE, Stage

if TYPE_CHECKING:
    from builder.context import Context


def upstream(ctx: Context) -> list[str]:
    """The stages before this one that write metrics (`ctx.stages`, from the runner)."""
    names = [stage.name for stage in ctx.stages]
    before = ctx.stages[:names.index(STAGE.name)] if STAGE.name in names else ()
    return [stage.name for stage in before if stage.metrics]


def run(ctx: Context, source: Path | None) -> dict[str, Any]:
    """`augmented/` (the folder `source`) -> `dataset/`, `hub/`, `README.md`, `metrics.json`
    (every stage's metrics) and the DVC metrics files; returns the export stage's own
    metrics."""
    from contextlib import ExitStack

    import datasets

    from builder import artifacts
    from builder.export.card import render_card
    from builder.export.dvc_files import write_dvc_files
    from builder.export.hashes import split_fingerprint
    from builder.export.metrics import export_metrics
    from builder.export.saved import load_dataset_dict, write_dataset_dict_json, write_split_state
    from builder.export.schema import published_schema
    from builder.export.writer import write_split
    from builder.partitions import Partitions

    datasets.disable_progress_bars()  # the build shows its own progress
    parts = Partitions.open(source, STAGE.reads)
    splits = list(ctx.recipe.split.fractions)
    columns, features = published_schema(ctx, parts)
    stages = upstream(ctx)
    metrics = {stage: artifacts.read_json(ctx.metrics_path(stage)) for stage in stages}
    metrics["recipe"] = ctx.recipe.name
    with ExitStack() as stack:
        hub = stack.enter_context(artifacts.atomic_dir(ctx.artifact("hub")))
        saved = stack.enter_context(artifacts.atomic_dir(ctx.artifact("dataset")))
        written = ctx.map(write_split, splits, parts, columns, features, hub, saved,
                          label="write shards")
        results = dict(zip(splits, written))
        checksums = {p: d for r in results.values() for p, d in r["checksums"].items()}
        fingerprints = {s: split_fingerprint(r["checksums"]) for s, r in results.items()}
        dataset_dict = load_dataset_dict(features, saved, results, fingerprints)
        write_dataset_dict_json(splits, saved)
        for split, dataset in dataset_dict.items():
            write_split_state(dataset, saved / split, results[split]["arrow_files"])
        metrics[STAGE.name] = export_metrics(results, ctx, checksums)
        if ctx.recipe.task.image:  # sizes, modes and a sample picture for the card
            from builder.images.export import image_figures

            metrics[STAGE.name]["images"] = image_figures(ctx, dataset_dict, hub)
        shard_bytes = {p: (hub / p).stat().st_size for p in checksums}
        split_bytes = {s: r["bytes"] for s, r in results.items()}
        card = render_card(ctx.composed, dataset_dict, metrics, shard_bytes, split_bytes)
        (hub / "README.md").write_text(card)
        # The folders are swapped in when the `with` block ends, the card and metrics after.
    with artifacts.atomic_file(ctx.artifact("README.md")) as tmp:
        tmp.write_text(card)
    artifacts.write_json(metrics, ctx.artifact("metrics.json"))
    write_dvc_files(metrics, stages, ctx.data_dir)
    return metrics[STAGE.name]


STAGE = Stage(
    name="export",
    reads="augment",
    writes=("dataset", "hub", "README.md", "metrics.json"),
    sections=("name", "task", "split", "publish"),
    code=(*KERNEL_CODE, "builder/export", "builder/markdown.py", "builder/recipe",
          "builder/balance", "builder/synthetic/__init__.py", "builder/synthetic/card.py",
          "builder/synthetic/config.py", "builder/synthetic/generators",
          "builder/synthetic/marginals.py",
          "builder/labeling/__init__.py", "builder/labeling/card.py",
          "builder/labeling/human/__init__.py", "builder/labeling/human/card.py",
          "builder/images"),
    run=run,
)
