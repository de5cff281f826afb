"""The augment stage: balance the train split and add synthetic rows, then prove it did no harm.

`split/` -> `augmented/` (+ `metrics/augment.json`):

1. the balance target becomes a count per class of the train split, and each class gets a
   strategy (`builder.balance.planner`, `builder.balance.strategies`);
2. the strategies run on the train rows: which rows are left out or copied is chosen from keys
   over the whole table (`builder.balance.selection`), SMOTE runs on the sample;
3. SDV models fitted on the real train rows only make the synthetic rows: balance gaps,
   `synthetic.rows`, scenarios, or (release mode) a fully synthetic copy of every split
   (`builder.synthetic.requests`, `builder.synthetic.synthesize`);
4. generated rows are scored against the real rows (quality, privacy, efficacy) and the recipe's
   thresholds are enforced before anything is written (`builder.synthetic.evaluation`).

Validation and test rows are never touched and never fitted on (in release mode they are not
published either: every published row is synthetic). Every row gets `_origin`
(`builder.balance.origins`).

In partitions: a first pass counts the classes of every split and gives each train row a key
(a hash of its `_id` keyed by the seed); the plan comes from the counts. SMOTE, the synthesizers
and the quality, privacy and efficacy measures see a sample: the train (and holdout) rows with
the smallest keys, at most `synthetic.fit_rows` of each (all of them in a smaller table). The
parts of `augmented/` are the real parts (kept rows, `_origin: real`), then the copies, then the
generated rows, then the chunks of large synthetic requests, sampled as tasks.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.pipeline.stage import KERNEL_CODE, Stage

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from builder.balance.planner import ClassPlan
    from builder.balance.selection import Selection
    from builder.context import Context
    from builder.partitions import Partitions
    from builder.synthetic.evaluation import RealRows
    from builder.synthetic.requests import Chunk

TRAIN = "train"


def run(ctx: Context, source: Path | None) -> dict[str, Any]:
    """`split/` -> `augmented/` with an `_origin` column; writes and returns
    `metrics/augment.json`."""
    from builder import artifacts
    from builder.balance import parts as passes
    from builder.partitions import Partitions

    parts = Partitions.open(source or ctx.artifact(STAGE.reads), STAGE.reads)
    recipe = ctx.recipe
    active = recipe.balance.resolved_target is not None or recipe.synthetic.generator is not None
    profiles = ctx.map(passes.profile_part, parts.names, parts.folder, active,
                       label="count classes")
    with artifacts.atomic_dir(ctx.artifact(STAGE.artifact)) as out:
        augmenter = Augmenter(ctx, profiles, parts, sample=active)
        metrics = augmenter.run(out) if active else augmenter.pass_through(out)
    artifacts.write_json(metrics, ctx.metrics_path(STAGE.name))
    return metrics


STAGE = Stage(
    name="augment",
    reads="split",
    writes=("augmented", "metrics/augment.json"),
    sections=("seed", "task", "balance", "synthetic"),
    code=(*KERNEL_CODE, "builder/context.py", "builder/engine", "builder/recipe",
          "builder/balance", "builder/synthetic", "builder/images"),
    run=run,
)


@dataclass
class Built:
    """The pieces of the new train split (of the sample), and what was done to each class."""

    kept: pd.DataFrame
    added: list[pd.DataFrame] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    synthetic_metrics: dict[str, Any] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)


def synthetic_chunk(item: tuple[Chunk, str], ctx: Context, train: pd.DataFrame, metadata: Any,
                    out: Path, like: pd.DataFrame, config: Any) -> dict[str, Any]:
    """One chunk of a large synthetic request, from the model the driver fitted (loaded from
    the cache), with a seed derived from the request and the chunk; written as its own part."""
    from builder.balance.origins import origin_counts
    from builder.columns import assemble
    from builder.partitions import write_part
    from builder.rows import SPLIT
    from builder.synthetic.requests import chunk_seed_names, sample_chunk
    from builder.synthetic.synthesize import Synthesizer

    chunk, name = item
    recipe = ctx.recipe
    label = recipe.task.label
    synthesizer = Synthesizer(config, train, label, metadata,
                              ctx.data_dir / ".cache" / "synthetic",
                              lambda *names: ctx.step_seed("augment", "synthetic", *names))
    seed = ctx.step_seed("augment", "synthetic", *chunk_seed_names(chunk))
    rows, ids = sample_chunk(synthesizer, chunk, seed, label)
    frame = assemble(rows, like, label=label, classes=rows[label].astype(str).tolist(),
                     origin="synthetic", ids=ids, source="synthetic", split=chunk[0].split)
    frame = frame.drop(columns=[c for c in frame.columns if c not in like.columns])
    write_part(frame, out / name, groups=SPLIT)
    return origin_counts(frame, label)


class Augmenter:
    """Plans the augment stage from the parts' counts and runs its table-wise steps on the
    sample (every row of a smaller table)."""

    def __init__(self, ctx: Context, profiles: list[dict], parts: Partitions, sample: bool):
        import numpy as np

        from builder.balance.parts import empty_like, gather_sample
        from builder.columns import feature_columns
        from builder.rows import SPLIT

        self.ctx, self.parts, self.profiles = ctx, parts, profiles
        recipe = ctx.recipe
        self.recipe = recipe  # with `generator: auto` resolved once the stage has chosen
        self.task, self.balance, self.synthetic = recipe.task, recipe.balance, recipe.synthetic
        self.selections: dict[str, Any] = {}  # balance / generator selection reports
        self.label = self.task.label
        self.splits = list(profiles[0]["splits"]) if profiles else list(recipe.split.fractions)
        self.counts = sum((p["counts"] for p in profiles),
                          np.zeros((len(self.splits), len(self.task.classes) + 1), np.int64))
        self.df = gather_sample(ctx, parts, profiles) if sample else empty_like(parts)
        is_train = (self.df[SPLIT] == TRAIN).to_numpy()
        self.train = self.df[is_train].reset_index(drop=True)
        self.holdout = self.df[~is_train].reset_index(drop=True)
        self.features = feature_columns(self.df, self.task)
        self._metadata: Any = None

    def log(self, message: str) -> None:
        """A line above the progress bars of `builder build`, or on a terminal's stderr."""
        display = getattr(self.ctx, "display", None)
        if display is not None:
            display.bars.console.print(f"augment: {message}")
        elif self.ctx.progress and sys.stderr.isatty():
            print(f"augment: {message}", file=sys.stderr)

    def seed(self, *names: str) -> int:
        return self.ctx.step_seed("augment", *names)

    def before(self) -> dict[str, int]:
        """Train rows per class (of the whole table)."""
        return self.split_counts(TRAIN)

    def split_counts(self, split: str) -> dict[str, int]:
        """Rows per class of a split (of the whole table)."""
        if split not in self.splits:
            return {c: 0 for c in self.task.classes}
        row = self.counts[self.splits.index(split)]
        return {c: int(n) for c, n in zip(self.task.classes, row)}

    # -- the run ----------------------------------------------------------------------------

    def pass_through(self, out: Path) -> dict[str, Any]:
        """No balancing, no synthetic rows: every part as it is, with `_origin: real`."""
        from builder.balance.origins import merge_counts
        from builder.balance.parts import pass_real

        counts = self.ctx.map(pass_real, self.parts.names, self.parts.folder, out,
                              label="origins")
        return self.metrics(merge_counts(counts), None, Built(kept=self.train))

    def run(self, out: Path) -> dict[str, Any]:
        from builder.balance.origins import generated_origins, merge_counts
        from builder.balance.parts import drop_columns, write_real
        from builder.balance.planner import plan_train, profile_table
        from builder.balance.selection import select
        from builder.columns import concat_rows
        from builder.synthetic.evaluation import enforce_gates, evaluate, generated_rows

        self.choose_generator()
        plans = plan_train(self.recipe, self.before(),
                           profile_table(self.recipe, self.train, self.features))
        plans = self.choose_plans(plans)
        selection = select(plans, self.task.classes, self.parts.names,
                           [p["train_classes"] for p in self.profiles],
                           [p["train_keys"] for p in self.profiles])
        release = self.synthetic.mode == "release"
        if release:
            built, holdout_out = self.release(plans)
        else:
            built, holdout_out = self.balance_train(plans, selection), self.holdout
        train_out = concat_rows([built.kept, *built.added], self.df)
        items = [(n, selection.keep.get(n), selection.copies.get(n)) for n in self.parts.names]
        counts = self.ctx.map(write_real, items, self.parts.folder, out, release,
                              label="write rows")
        counts += self.write_generated(built, out, holdout_out if release else None)
        metrics = self.metrics(merge_counts(counts), plans, built)
        generated = generated_rows(train_out, generated_origins())
        if release:
            generated["synthetic"] = self.ordered(train_out, holdout_out)
        changed = bool(built.added) or len(built.kept) != len(self.train)
        evaluation = evaluate(self.real_rows(), self.recipe, self.splits, generated,
                              train_out, changed, built.synthetic_metrics)
        evaluation["gates"] = enforce_gates(self.synthetic.gates, evaluation)
        metrics.update(evaluation)
        if built.dropped_columns:
            drop_columns(out, built.dropped_columns)
        return metrics

    def choose_generator(self) -> None:
        """`synthetic.generator: auto`: the generator that scores best on held-out real train
        rows (`builder.synthetic.choose`) replaces it for the rest of the stage."""
        from dataclasses import replace

        from builder.rows import ID
        from builder.synthetic.choose import choose
        from builder.synthetic.config import AUTO_GENERATOR

        if self.synthetic.generator != AUTO_GENERATOR:
            return
        chosen, self.selections["generator"] = choose(
            self.synthetic, self.train[[ID, *self.features, self.label]], self.label,
            self.features, self.task.classes, self.metadata(), self.seed)
        self.synthetic = replace(self.synthetic, generator=chosen)
        self.recipe = replace(self.recipe, synthetic=self.synthetic)

    def choose_plans(self, plans: list[ClassPlan] | None) -> list[ClassPlan] | None:
        """`balance.strategy: auto` by cross-validated efficacy on the real train rows
        (`builder.balance.choose`); an explicit plan is kept and scored next to auto's pick."""
        from dataclasses import asdict

        from builder.balance.candidates import names
        from builder.balance.choose import Inputs, select, selectable
        from builder.balance.targets import resolve

        if not plans or not selectable(self.recipe):
            return plans
        balance, generator = self.balance, self.synthetic.generator_config
        before = self.before()
        selected = select(Inputs(
            train=self.train, label=self.label, features=self.features,
            text=self.task.text if self.task.type == "text-classification" else None,
            group=self.recipe.split.group, before=before,
            targets=resolve(balance.resolved_target, before), plans=plans,
            explicit=balance.strategy != "auto", config=balance.select,
            k_neighbors=balance.k_neighbors, file=self.ctx.composed.display_file,
            seed=self.seed, synthesize=self.synthesize if generator is not None else None,
            names=names(self.recipe),
            generator=repr(asdict(generator)) if generator is not None else None,
            cache_dir=self.ctx.data_dir / ".cache" / "balance",
            threads=getattr(self.recipe.engine_config, "threads", 1)))
        self.selections["balance"] = selected.report
        return selected.plans

    def synthesize(self, rows: pd.DataFrame, wanted: dict[str, int], seed: int) -> pd.DataFrame:
        """Generated rows of the classes in `wanted` from models fitted on `rows` only (a
        cross-validation fold's fit rows)."""
        from builder.context import derive_seed
        from builder.synthetic.synthesize import Request, Synthesizer

        synthesizer = Synthesizer(self.synthetic, rows, self.label, self.metadata(),
                                  self.ctx.data_dir / ".cache" / "synthetic",
                                  lambda *names: derive_seed(seed, *names))
        requests = [Request("balance", c, c, n) for c, n in wanted.items()]
        return synthesizer.run(requests, rows).rows

    def balance_train(self, plans: list[ClassPlan] | None, selection: Selection) -> Built:
        """Every class's strategy on the sample's train rows, then the synthetic rows."""
        from builder.balance.selection import sample_copies, sample_flags
        from builder.balance.strategies.base import TrainSample, strategy

        built = Built(kept=self.train)
        gaps: dict[str, int] = {}
        if plans:
            names = self.parts.names
            train = TrainSample(
                self.train, self.features, self.label, self.balance.k_neighbors, self.seed,
                self.generated, lambda n: sample_copies(self.train, names, selection.copies, n))
            for sequence, plan in enumerate(plans):
                chosen = strategy(plan.strategy)
                outcome = chosen.build(plan, sequence, train)
                if outcome.rows is not None:
                    built.added.append(outcome.rows)
                if outcome.generator_rows is not None:
                    gaps[plan.name] = outcome.generator_rows
                built.methods[plan.name] = outcome.method or chosen.description
            keep = sample_flags(self.train, names, selection.keep, True)
            built.kept = self.train[keep].reset_index(drop=True)
        if self.synthetic.generator is not None:
            self.add_synthetic(built, plans, gaps)
        return built

    def generated(self, features: pd.DataFrame, classes: Any, origin: str, ids: list[str],
                  split: str = TRAIN) -> pd.DataFrame:
        """Generated rows as rows of the table (`classes`: one class, or one per row)."""
        from builder.columns import assemble

        labels = [classes] * len(features) if isinstance(classes, str) else classes
        return assemble(features, self.df, label=self.label, classes=labels, origin=origin,
                        ids=ids, source=origin, split=split)

    def write_generated(self, built: Built, out: Path,
                        holdout: pd.DataFrame | None) -> list[dict[str, Any]]:
        """The generated rows made in the driver as parts (after the real parts and copies),
        then the chunks of large synthetic requests as tasks."""
        from builder.balance.origins import copied_origins, origin_counts
        from builder.balance.selection import PART_COLUMN, POSITION_COLUMN
        from builder.partitions import PART_SUFFIX, part_name, write_part
        from builder.rows import ORIGIN, SPLIT

        counts = []
        copied = copied_origins()
        frames = [f for f in built.added if len(f) and f[ORIGIN].iloc[0] not in copied]
        if holdout is not None and len(holdout):
            frames.append(holdout)
        like = self.df.drop(columns=[PART_COLUMN, POSITION_COLUMN], errors="ignore")
        for i, frame in enumerate(frames):
            frame = frame[[c for c in like.columns if c in frame.columns]]
            write_part(frame, out / f"part-y{i:03d}{PART_SUFFIX}", groups=SPLIT)
            counts.append(origin_counts(frame, self.label))
        if built.chunks:
            items = [(chunk, part_name(i, prefix="z")) for i, chunk in enumerate(built.chunks)]
            train = self.train[[*self.features, self.label]]
            counts += self.ctx.map(synthetic_chunk, items, train, self.metadata(), out,
                                   like.iloc[:0], self.synthetic, label="synthetic chunks",
                                   threads=False)
        return counts

    def ordered(self, train: pd.DataFrame, holdout: pd.DataFrame) -> pd.DataFrame:
        """Rows grouped by split in the split order, the train split's real rows first."""
        from builder.columns import concat_rows
        from builder.rows import SPLIT

        return concat_rows([train if split == TRAIN else holdout[holdout[SPLIT] == split]
                            for split in self.splits], self.df)

    # -- synthesis --------------------------------------------------------------------------

    def metadata(self) -> Any:
        """SDV metadata of the real train rows (features and label), with the recipe's overrides."""
        if self._metadata is None:
            from builder.synthetic import metadata as meta
            from builder.synthetic.guard import quiet

            with quiet():
                self._metadata = meta.detect(meta.plain(self.train[[*self.features, self.label]]),
                                             self.label, self.synthetic.columns)
        return self._metadata

    def synthesizer(self) -> Any:
        from builder.synthetic.synthesize import Synthesizer

        return Synthesizer(self.synthetic, self.train[[*self.features, self.label]], self.label,
                           self.metadata(), self.ctx.data_dir / ".cache" / "synthetic",
                           lambda *names: self.seed("synthetic", *names), self.log)

    def add_synthetic(self, built: Built, plans: list[ClassPlan] | None,
                      gaps: dict[str, int]) -> None:
        """Synthetic train rows: balance gaps, `synthetic.rows` and scenarios."""
        from builder.balance.targets import apportion
        from builder.synthetic import requests as asked

        rows: dict[str, int] = {}
        if self.synthetic.rows:
            mix = {p.name: p.target for p in plans} if plans else self.before()
            total = sum(mix.values())
            rows = apportion(self.synthetic.rows, {c: n / total for c, n in mix.items() if n > 0})
        requests = asked.train_requests(self.synthetic, self.label, gaps, rows)
        if not requests:
            built.synthetic_metrics = {"requests": {}, "note": "no class or option asked for "
                                       "synthetic rows"}
            return
        requests, built.chunks = asked.chunked(requests)
        synthesis = self.synthesizer().run(requests, self.df[[*self.features, self.label]])
        built.added.append(self.generated(synthesis.rows, synthesis.rows[self.label].astype(str)
                                          .tolist(), "synthetic",
                                          asked.request_ids(synthesis.requests)))
        for name in gaps:
            built.methods[name] = asked.method_name(self.synthetic)
        built.synthetic_metrics = {**synthesis.metrics, "requests": asked.request_counts(
            synthesis.requests, built.chunks)}

    def release(self, plans: list[ClassPlan] | None) -> tuple[Built, pd.DataFrame]:
        """A fully synthetic copy: every split's class counts, all rows from the generator."""
        import numpy as np

        from builder.columns import concat_rows
        from builder.synthetic import requests as asked

        targets = {p.name: p.target for p in plans} if plans else self.before()
        counts = {s: targets if s == TRAIN else self.split_counts(s) for s in self.splits}
        trainable = {c for c, n in self.before().items() if n > 0}
        requests, warnings = asked.release_requests(self.splits, counts, trainable)
        synthesis = self.synthesizer().run(requests, self.df[[*self.features, self.label]])
        ids = np.asarray(asked.request_ids(synthesis.requests))
        rows, frames = synthesis.rows, []
        for split in self.splits:
            mask = (synthesis.requests["split"] == split).to_numpy()
            frames.append(self.generated(rows[mask], rows[mask][self.label].astype(str).tolist(),
                                         "synthetic", list(ids[mask]), split=split))
        train = frames[self.splits.index(TRAIN)]
        holdout = concat_rows([f for s, f in zip(self.splits, frames) if s != TRAIN], self.df)
        built = Built(kept=train.iloc[:0], added=[train],
                      methods={c: asked.method_name(self.synthetic) for c in targets},
                      synthetic_metrics={**synthesis.metrics,
                                         "requests": asked.request_counts(synthesis.requests),
                                         "warnings": warnings},
                      dropped_columns=synthesis.dropped)
        return built, holdout

    # -- metrics and evaluation ---------------------------------------------------------------

    def metrics(self, counts: dict[str, Any], plans: list[ClassPlan] | None,
                built: Built) -> dict:
        """The stage's figures from the parts' counts: rows per split and origin, train rows
        per class and origin, the balance plan, the synthetic section."""
        from builder.balance.origins import class_origins, origin_metrics
        from builder.balance.targets import describe
        from builder.synthetic.requests import synthetic_metrics

        metrics, per_class = origin_metrics(counts, self.splits, self.task.classes)
        after = {c: sum(per_class.get(c, {}).values()) for c in self.task.classes}
        metrics["train_classes"] = {"before": self.before(), "after": after}
        metrics["mode"] = self.synthetic.mode if self.synthetic.generator is not None else None
        if plans is not None:
            classes = {p.name: {
                "before": p.before, "target": p.target, "after": after.get(p.name, 0),
                "strategy": p.strategy, "chosen_by": p.chosen_by, "reason": p.reason,
                "method": built.methods.get(p.name),
                "rows_by_origin": class_origins(per_class.get(p.name, {})),
            } for p in plans}
            metrics["balance"] = {"target": describe(self.balance.resolved_target),
                                  "classes": classes}
            if "balance" in self.selections:
                metrics["balance"]["selection"] = self.selections["balance"]
        if self.synthetic.generator is not None:
            metrics["synthetic"] = synthetic_metrics(self.synthetic, built.synthetic_metrics,
                                                     built.dropped_columns)
            if "generator" in self.selections:
                metrics["synthetic"]["selection"] = self.selections["generator"]
        return metrics

    def real_rows(self) -> RealRows:
        from builder.synthetic.evaluation import RealRows

        return RealRows(self.train, self.holdout, self.df, self.features, self.label,
                        self.metadata, self.seed)
