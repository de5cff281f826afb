"""The label stage: give every row a label, a `label_source` and a `label_confidence`,
`ingested/` -> `labeled/`.

Steps, each optional:
1. gold labels from the gold column: labels (`gold.use: label`) or kept for evaluation only
   under `_gold` (`gold.use: evaluate`), never a feature and never published
   (`labeling.gold`);
2. labeling functions -> int8 label matrix -> diagnostics and a label model -> weak labels
   (`labeling.votes`, `labeling.weak`);
3. human and feedback labels from the flywheel (`labeling.consensus`,
   `labeling.human.merge`), then one label per row by precedence (human > gold > feedback >
   weak > pseudo, `labeling.merge`, `labeling.combine`);
4. out-of-fold model predictions trained on gold, human, feedback and confident weak labels
   (`labeling.assisted`), used for pseudo-labels (only rows still without a label) and to find
   suspected label errors (`labeling.label_errors`). Humans outrank models: a human label that
   confident learning suspects is flagged (`suspect_label`, listed in the metrics) but never
   cleared for review nor dropped;
5. the abstain policy (`unlabeled: drop|keep|pseudo`, `labeling.finish`). Rows are dropped
   only here, at the end, all at once: unlabeled rows (all but `unlabeled: keep`), suspected label
   errors (`label_errors.action: drop`) and rows whose annotators disagree
   (`labeling.human.on_low_agreement: drop`).

In partitions: row-wise work (labeling functions, merging, model inference, the abstain policy)
runs per partition on the engine; the driver sees reduced data only. Passes, each only when the
recipe needs it:

- `count_votes`: each partition's label matrix (kept in scratch), its distinct vote patterns
  with counts, (pattern, gold) counts, and which label-store ids it holds;
- the driver fits the label model on the patterns of the whole table and the store's consensus;
- `merge_part`: weak labels, every label source, precedence; the final part when no model is
  trained, else a scratch part and the keys that choose the model's training sample;
- `sample_part` -> the driver fits the fold models on a sample of at most
  `labeling.pseudo.sample_rows` rows (chosen by a keyed hash of `_id`) -> `predict_part`:
  out-of-fold probabilities and per-class sums for the confident-learning thresholds;
- `finish_part`: suspected errors, pseudo-labels, the abstain policy, the final part.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.pipeline.stage import KERNEL_CODE, Stage

if TYPE_CHECKING:
    from builder.context import Context


def run(ctx: Context, source: Path | None) -> dict[str, Any]:
    """`ingested/` (the folder `source`) -> `labeled/` with labels and their provenance;
    writes and returns `metrics/label.json`."""
    from builder import artifacts
    from builder.labeling.assisted import run_model
    from builder.labeling.combine import Shared, merge_part
    from builder.labeling.consensus import human_consensus_of, store_ids
    from builder.labeling.metrics import add_counts, label_metrics
    from builder.labeling.votes import count_votes
    from builder.labeling.weak import fit_label_model
    from builder.partitions import Partitions

    config = ctx.recipe.labeling
    parts = Partitions.open(source, STAGE.reads)
    target = ctx.artifact(STAGE.artifact)
    model = config.pseudo is not None or config.label_errors is not None
    metrics: dict[str, Any] = {}
    with artifacts.atomic_dir(target) as out, artifacts.scratch_dir(target) as scratch:
        shared = Shared(final=not model)
        votes = None
        if config.functions:
            votes = ctx.map(count_votes, parts.names, source, scratch, store_ids(ctx),
                            label="labeling functions")
        # Before the label model: `model: auto` counts human labels among the trusted ones.
        shared.human, human_metrics = human_consensus_of(ctx, parts, source, scratch, votes)
        if config.functions:
            shared.weak, metrics["functions"] = fit_label_model(ctx, votes, shared.human)
        results = ctx.map(merge_part, parts.names, source, scratch, out, shared,
                          label="merge labels")
        totals: dict[str, Any] = {}
        for result in results:
            add_counts(totals, {k: v for k, v in result.items() if k not in ("keys", "train")})
        if model:
            final, pseudo = run_model(ctx, parts, results, scratch, out)
            for result in final:
                add_counts(totals, result)
            metrics["pseudo"] = pseudo
        metrics = label_metrics(ctx, metrics, totals, human_metrics)
    artifacts.write_json(metrics, ctx.metrics_path(STAGE.name))
    return metrics


STAGE = Stage(
    name="label",
    reads="ingest",
    writes=("labeled", "metrics/label.json"),
    sections=("seed", "task", "labeling"),
    code=(*KERNEL_CODE, "builder/recipe/expressions.py", "builder/recipe/registry.py",
          "builder/labeling"),
    run=run,
)
