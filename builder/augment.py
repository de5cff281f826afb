"""The augment stage: balance the train split and add synthetic rows, then prove it did no harm.

`split.parquet` -> `augmented.parquet` (+ `metrics/augment.json`):

1. the balance target becomes a count per class of the train split, and each class gets a
   strategy (`builder.balance.planner`);
2. under-sampling, over-sampling and SMOTE run on the train rows (`builder.balance.samplers`);
3. SDV models fitted on the real train rows only make the synthetic rows: balance gaps,
   `synthetic.rows`, scenarios, or (release mode) a fully synthetic copy of every split
   (`builder.synthetic.synthesize`);
4. generated rows are scored against the real rows (quality, privacy, efficacy) and the recipe's
   thresholds are enforced before anything is written.

Validation and test rows are never touched and never fitted on (in release mode they are not
published either: every published row is synthetic). Every row gets `_origin`: real,
oversampled, smote or synthetic.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from builder import artifacts
from builder.balance.planner import ClassPlan, TableProfile, apply_global, plan_classes
from builder.balance.table import (ORIGIN_COLUMN, ORIGINS, assemble, column_kind, concat_rows,
                                   feature_columns, sequence_ids)
from builder.balance.targets import apportion, describe, resolve
from builder.columns import STRING, repeat_string
from builder.split import ARTIFACT as INPUT, SPLIT_COLUMN

if TYPE_CHECKING:
    from builder.stages import Context

ARTIFACT = "augmented.parquet"
TRAIN = "train"
METHODS = {"keep": "kept", "undersample": "random under-sampling",
           "oversample": "random over-sampling (duplicates)"}


@dataclass
class Built:
    """The pieces of the new train split, and what was done to each class."""

    kept: pd.DataFrame
    added: list[pd.DataFrame] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    synthetic_metrics: dict[str, Any] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)


def run(ctx: Context) -> dict[str, Any]:
    """The augment stage: `split.parquet` -> `augmented.parquet` with an `_origin` column."""
    df = artifacts.read_parquet(ctx.artifact(INPUT), "split")
    df[ORIGIN_COLUMN] = repeat_string("real", df.index)
    augmenter = Augmenter(ctx, df)
    out, metrics = augmenter.run()
    artifacts.write_parquet(out, ctx.artifact(ARTIFACT))
    artifacts.write_json(metrics, ctx.metrics_path("augment"))
    return metrics


class Augmenter:
    """Runs the augment stage's steps on one table."""

    def __init__(self, ctx: Context, df: pd.DataFrame):
        self.ctx = ctx
        self.df = df
        recipe = ctx.recipe
        self.task = recipe.task
        self.balance = recipe.balance
        self.synthetic = recipe.synthetic
        self.label = self.task.label
        self.splits = list(df[SPLIT_COLUMN].cat.categories)
        is_train = (df[SPLIT_COLUMN] == TRAIN).to_numpy()
        self.train = df[is_train].reset_index(drop=True)
        self.holdout = df[~is_train].reset_index(drop=True)
        self.features = feature_columns(df, self.task)
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

    # -- planning ---------------------------------------------------------------------------

    def before(self) -> dict[str, int]:
        counts = self.train[self.label].value_counts()
        return {c: int(counts.get(c, 0)) for c in self.task.classes}

    def profile(self) -> TableProfile:
        columns = [c for c in self.features if c != self.task.text]
        kinds = {c: column_kind(self.train[c]) for c in columns}
        numbers = [c for c, kind in kinds.items() if kind != "categorical"]
        generator = self.synthetic.generator_config
        return TableProfile(numeric=len(numbers),
                            categorical=len(kinds) - len(numbers),
                            missing_numbers=bool(numbers) and bool(
                                self.train[numbers].isna().any().any()),
                            text_column=self.task.text if self.task.type == "text-classification"
                            else None,
                            generator=generator.type if generator else None,
                            k_neighbors=self.balance.k_neighbors)

    def plan(self) -> list[ClassPlan] | None:
        target = self.balance.resolved_target
        if target is None:
            return None
        before = self.before()
        targets = resolve(target, before)
        if self.synthetic.mode == "release":
            requested = {c: "synthetic" for c in before}
        elif isinstance(self.balance.strategy, str):
            requested = apply_global(self.balance.strategy, before, targets)
        else:
            requested = {c: self.balance.strategy_for(c) for c in before}
        keys = {c: self.balance.strategy_key(c) for c in before}
        plans = plan_classes(before, targets, requested, keys, self.profile())
        if self.synthetic.mode == "release":
            plans = [ClassPlan(p.name, p.before, p.target, "synthetic",
                               "release mode: every row comes from the generator", "recipe")
                     for p in plans]
        return plans

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> tuple[pd.DataFrame, dict[str, Any]]:
        plans = self.plan()
        if self.synthetic.mode == "release":
            built, holdout_out = self.release(plans)
        else:
            built = self.balance_train(plans)
            holdout_out = self.holdout
        train_out = concat_rows([built.kept, *built.added], self.df)
        out = self.ordered(train_out, holdout_out)
        if built.dropped_columns:
            out = out.drop(columns=built.dropped_columns)
        metrics = self.metrics(out, plans, built)
        evaluation = self.evaluate(out, train_out, built)
        evaluation["gates"] = self.enforce_gates(evaluation)
        metrics.update(evaluation)
        return out, metrics

    def ordered(self, train: pd.DataFrame, holdout: pd.DataFrame) -> pd.DataFrame:
        """Rows grouped by split in the split order, the train split's real rows first."""
        parts = []
        for split in self.splits:
            if split == TRAIN:
                parts.append(train)
            else:
                parts.append(holdout[holdout[SPLIT_COLUMN] == split])
        return concat_rows(parts, self.df)

    # -- balancing --------------------------------------------------------------------------

    def balance_train(self, plans: list[ClassPlan] | None) -> Built:
        """Under/over-sample and SMOTE the train split per plan, then add synthetic rows."""
        from builder.balance import samplers

        built = Built(kept=self.train)
        requests = []
        if plans:
            labels = self.train[self.label]
            keep = np.ones(len(self.train), dtype=bool)
            for plan in plans:
                positions = np.flatnonzero((labels == plan.name).to_numpy())
                if plan.strategy == "undersample":
                    chosen = samplers.undersample(positions, plan.target,
                                                  self.seed("undersample", plan.name))
                    keep[positions] = False
                    keep[chosen] = True
                elif plan.strategy == "oversample":
                    picked = samplers.oversample(positions, plan.change,
                                                 self.seed("oversample", plan.name))
                    built.added.append(self.duplicates(picked))
                elif plan.strategy == "smote":
                    rows, variant = samplers.smote(
                        self.train[self.features], labels, plan.name, plan.change,
                        self.balance.k_neighbors, self.seed("smote", plan.name))
                    ids = sequence_ids(f"smote/{plan.name}", len(rows))
                    built.added.append(self.generated(rows, plan.name, "smote", ids))
                    built.methods[plan.name] = variant
                elif plan.strategy == "synthetic":
                    requests.append(("balance", plan.name, plan.change))
                built.methods.setdefault(plan.name, METHODS.get(plan.strategy, plan.strategy))
            built.kept = self.train[keep].reset_index(drop=True)
        if self.synthetic.generator is not None:
            self.add_synthetic(built, plans, requests)
        return built

    def duplicates(self, positions: np.ndarray) -> pd.DataFrame:
        """Copies of train rows, `_id` `<id>+<n>` for the n-th copy, origin `oversampled`."""
        rows = self.train.iloc[positions].reset_index(drop=True)
        occurrence = rows.groupby("_id", sort=False).cumcount() + 1
        rows["_id"] = (rows["_id"].astype(str) + "+" + occurrence.astype(str)).astype(STRING)
        rows[ORIGIN_COLUMN] = pd.Series("oversampled", index=rows.index, dtype=STRING)
        return rows

    def generated(self, features: pd.DataFrame, classes: Any, origin: str, ids: list[str],
                  split: str = TRAIN) -> pd.DataFrame:
        labels = [classes] * len(features) if isinstance(classes, str) else classes
        return assemble(features, self.df, label=self.label, classes=labels, origin=origin,
                        ids=ids, source=origin, split=split)

    # -- synthesis --------------------------------------------------------------------------

    @property
    def metadata(self) -> Any:
        """SDV metadata of the real train rows (features and label), with the recipe's overrides."""
        if self._metadata is None:
            from builder.synthetic import metadata as meta

            with _quiet():
                self._metadata = meta.detect(meta.plain(self.train[[*self.features, self.label]]),
                                             self.label, self.synthetic.columns)
        return self._metadata

    def synthesizer(self) -> Any:
        from builder.synthetic.synthesize import Synthesizer

        return Synthesizer(self.synthetic, self.train[[*self.features, self.label]], self.label,
                           self.metadata, self.ctx.data_dir / ".cache" / "synthetic",
                           lambda *names: self.seed("synthetic", *names), self.log)

    def add_synthetic(self, built: Built, plans: list[ClassPlan] | None,
                      gaps: list[tuple[str, str, int]]) -> None:
        """Synthetic train rows: balance gaps, `synthetic.rows` and scenarios."""
        from builder.synthetic.synthesize import Request

        requests = [Request("balance", name, name, rows) for _, name, rows in gaps if rows > 0]
        if self.synthetic.rows:
            mix = ({p.name: p.target for p in plans} if plans else self.before())
            total = sum(mix.values())
            shares = {c: n / total for c, n in mix.items() if n > 0}
            for name, rows in apportion(self.synthetic.rows, shares).items():
                if rows > 0:
                    requests.append(Request("rows", name, name, rows))
        for name, scenario in self.synthetic.scenarios.items():
            klass = scenario.conditions.get(self.label)
            requests.append(Request("scenario", name, None if klass is None else str(klass),
                                    scenario.rows, conditions=dict(scenario.conditions)))
        if not requests:
            built.synthetic_metrics = {"requests": {}, "note": "no class or option asked for "
                                       "synthetic rows"}
            return
        synthesis = self.synthesizer().run(requests, self.df[[*self.features, self.label]])
        ids = _request_ids(synthesis.requests)
        built.added.append(self.generated(synthesis.rows, synthesis.rows[self.label].astype(str)
                                          .tolist(), "synthetic", ids))
        for _, name, _ in gaps:
            built.methods[name] = self.method_name()
        built.synthetic_metrics = {**synthesis.metrics,
                                   "requests": _request_counts(synthesis.requests)}

    def method_name(self) -> str:
        generator = self.synthetic.generator_config.type
        how = ("one model per class" if self.synthetic.sampling == "per_class"
               else "one model, sample_from_conditions")
        return f"{generator} ({how})"

    def release(self, plans: list[ClassPlan] | None) -> tuple[Built, pd.DataFrame]:
        """A fully synthetic copy: every split's class counts, all rows from the generator."""
        from builder.synthetic.synthesize import Request

        targets = {p.name: p.target for p in plans} if plans else self.before()
        requests, warnings = [], []
        trainable = {c for c, n in self.before().items() if n > 0}
        for split in self.splits:
            if split == TRAIN:
                counts = targets
            else:
                present = self.holdout[self.holdout[SPLIT_COLUMN] == split][self.label]
                counts = {c: int((present == c).sum()) for c in self.task.classes}
            for name, rows in counts.items():
                if rows > 0 and name not in trainable:
                    warnings.append(f"class '{name}' has no train row, so the release copy of "
                                    f"split '{split}' lacks its {rows} rows")
                elif rows > 0:
                    requests.append(Request("release", name, name, rows, split=split))
        synthesis = self.synthesizer().run(requests, self.df[[*self.features, self.label]])
        ids = _request_ids(synthesis.requests)
        rows = synthesis.rows
        frames = []
        for split in self.splits:
            mask = (synthesis.requests["split"] == split).to_numpy()
            frames.append(self.generated(rows[mask], rows[mask][self.label].astype(str).tolist(),
                                         "synthetic", list(np.asarray(ids)[mask]), split=split))
        train = frames[self.splits.index(TRAIN)]
        holdout = concat_rows([f for s, f in zip(self.splits, frames) if s != TRAIN], self.df)
        built = Built(kept=train.iloc[:0], added=[train],
                      methods={c: self.method_name() for c in targets},
                      synthetic_metrics={**synthesis.metrics,
                                         "requests": _request_counts(synthesis.requests),
                                         "warnings": warnings},
                      dropped_columns=synthesis.dropped)
        return built, holdout

    # -- metrics and evaluation ---------------------------------------------------------------

    def metrics(self, out: pd.DataFrame, plans: list[ClassPlan] | None, built: Built) -> dict:
        origins = out[ORIGIN_COLUMN].value_counts()
        per_split = pd.crosstab(out[SPLIT_COLUMN], out[ORIGIN_COLUMN])
        train_out = out[out[SPLIT_COLUMN] == TRAIN]
        after = train_out[self.label].value_counts()
        metrics: dict[str, Any] = {
            "rows": len(out),
            "origins": {o: int(origins.get(o, 0)) for o in ORIGINS if origins.get(o, 0)},
            "origins_per_split": {s: {o: int(n) for o, n in per_split.loc[s].items() if n}
                                  for s in per_split.index},
            "rows_per_split": {s: int((out[SPLIT_COLUMN] == s).sum()) for s in self.splits},
            "train_classes": {"before": self.before(),
                              "after": {c: int(after.get(c, 0)) for c in self.task.classes}},
            "mode": self.synthetic.mode if self.synthetic.generator is not None else None,
        }
        if plans is not None:
            target = self.balance.resolved_target
            by_origin = pd.crosstab(train_out[self.label], train_out[ORIGIN_COLUMN])
            classes = {}
            for plan in plans:
                row = by_origin.loc[plan.name] if plan.name in by_origin.index else {}
                classes[plan.name] = {
                    "before": plan.before, "target": plan.target,
                    "after": int(after.get(plan.name, 0)),
                    "strategy": plan.strategy, "chosen_by": plan.chosen_by, "reason": plan.reason,
                    "method": built.methods.get(plan.name, METHODS.get(plan.strategy)),
                    "rows_by_origin": {o: int(row.get(o, 0)) for o in ORIGINS if row.get(o, 0)},
                }
            metrics["balance"] = {"target": describe(target), "classes": classes}
        if self.synthetic.generator is not None:
            generator = self.synthetic.generator_config
            metrics["synthetic"] = {
                "generator": asdict(generator),
                "sampling": self.synthetic.sampling,
                "constraints": {n: {"type": c.type, "columns": c.column_names()}
                                for n, c in self.synthetic.constraints.items()},
                **built.synthetic_metrics,
            }
            if built.dropped_columns:
                metrics["synthetic"]["dropped_columns"] = built.dropped_columns
        return metrics

    def evaluate(self, out: pd.DataFrame, train_out: pd.DataFrame, built: Built) -> dict:
        """Quality and privacy of each generated origin, and the efficacy of the train split."""
        result: dict[str, Any] = {}
        generated = {o: train_out[train_out[ORIGIN_COLUMN] == o] for o in ("smote", "synthetic")}
        if self.synthetic.mode == "release":
            generated["synthetic"] = out
        generated = {o: rows for o, rows in generated.items() if len(rows)}
        if generated:
            result.update(self.fidelity(generated, built))
        changed = built.added or len(built.kept) != len(self.train)
        from builder.synthetic.efficacy import efficacy, evaluation_split

        split = evaluation_split(self.splits)
        if changed and split is not None:
            test = self.holdout[self.holdout[SPLIT_COLUMN] == split]
            columns = [c for c in self.features if c not in self.pii_columns(built)]
            if len(test) and test[self.label].nunique() > 0:
                result["efficacy"] = efficacy(
                    self.train, train_out, test, self.label, columns,
                    self.task.text if self.task.type == "text-classification" else None,
                    self.seed("efficacy"), split)
        return result

    def pii_columns(self, built: Built) -> list[str]:
        return list(built.synthetic_metrics.get("pii_columns", []))

    def fidelity(self, generated: dict[str, pd.DataFrame], built: Built) -> dict:
        from builder.synthetic import metadata as meta
        from builder.synthetic import privacy
        from builder.synthetic.quality import column_summaries, matched_reference, quality_report

        pii = set(self.pii_columns(built)) | set(meta.pii_columns(self.metadata))
        columns = [c for c in [*self.features, self.label] if c not in pii]
        metadata = meta.without(self.metadata, [c for c in meta.sdtypes(self.metadata)
                                                if c not in columns])
        real_train = self.train[columns]
        quality, report = {}, {}
        for origin, rows in generated.items():
            reference = matched_reference(real_train, self.train[self.label], rows[self.label],
                                          self.seed("quality", origin))
            quality[origin] = quality_report(meta.plain(reference),
                                             meta.plain(rows[columns].reset_index(drop=True)),
                                             metadata)
            quality[origin]["summaries"] = {"real": column_summaries(reference, columns),
                                            origin: column_summaries(rows, columns)}
            report[origin] = privacy.privacy_report(
                rows[columns], real_train, self.holdout[columns], self.df[columns], columns,
                self.seed("privacy", origin))
        removed = built.synthetic_metrics.get("real_copies_replaced")
        if removed and "synthetic" in report:
            # Release mode replaced the copies; the gate judges what the generator produced.
            r = report["synthetic"]
            r["exact_copy_rows"] = removed
            r["exact_copies"] = round(removed / (r["rows"] + removed), 4)
            r["note"] = "copies of real rows were replaced before publishing"
        report["holdout_exact_copies"] = privacy.holdout_copies(real_train, self.holdout[columns],
                                                                columns)
        return {"quality": quality, "privacy": report}

    def enforce_gates(self, evaluation: dict) -> list[dict]:
        """The recipe's thresholds checked on the synthetic rows; a `GateError` if one fails."""
        from builder.synthetic import gates

        thresholds = self.synthetic.gates
        if not thresholds:
            return []
        quality = evaluation.get("quality", {}).get("synthetic")
        privacy = evaluation.get("privacy", {}).get("synthetic")
        efficacy = evaluation.get("efficacy")
        records = gates.evaluate(thresholds, quality, privacy, efficacy)
        if quality is not None:
            gates.enforce(records, quality, privacy, efficacy)
        return records


def _request_ids(tags: pd.DataFrame) -> list[str]:
    """`synthetic/<purpose>/<name>/<n>` (release: `synthetic/<split>/<class>/<n>`) per row."""
    if tags.empty:
        return []
    head = np.where(tags["purpose"] == "release", tags["split"], tags["purpose"])
    prefix = pd.Series(head, index=tags.index).astype(str) + "/" + tags["name"].astype(str)
    number = prefix.groupby(prefix, sort=False).cumcount() + 1
    return ("synthetic/" + prefix + "/" + number.astype(str).str.zfill(6)).tolist()


def _request_counts(tags: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Rows made per purpose and name (class or scenario)."""
    counts: dict[str, dict[str, int]] = {}
    for (purpose, name), n in tags.groupby(["purpose", "name"], sort=False).size().items():
        counts.setdefault(purpose, {})[name] = int(n)
    return counts


def _quiet():
    from builder.synthetic.models import quiet

    return quiet()
