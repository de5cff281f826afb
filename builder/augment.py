"""The augment stage: balance the train split and add synthetic rows, then prove it did no harm.

`split/` -> `augmented/` (+ `metrics/augment.json`):

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

In partitions: a first pass counts the classes of every split and gives each train row a key
(a hash of its `_id` keyed by the seed); the plan comes from the counts. Which rows an
under-sampled class keeps (the `target` smallest keys) and which rows of an over-sampled class
get one copy more than the others (the smallest keys) is decided from the keys, so it does not
depend on partitioning. SMOTE, the synthesizers and the quality, privacy and efficacy measures
see a sample: the train (and holdout) rows with the smallest keys, at most
`synthetic.fit_rows` of each (all of them in a smaller table). The parts of `augmented/` are
the real parts (kept rows, `_origin: real`), then the copies, then the generated rows; a
synthetic request larger than `CHUNK_ROWS` is sampled in chunks with derived seeds, as tasks.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from builder import artifacts
from builder.balance.planner import ClassPlan, TableProfile, apply_global, plan_classes
from builder.balance.targets import apportion, describe, resolve
from builder.columns import (STRING, assemble, column_kind, concat_rows, feature_columns,
                             repeat_string, sequence_ids, unit_hashes)
from builder.partitions import (PART_SUFFIX, Partitions, append_column, part_dtypes, part_name,
                                 read_part, read_table, write_part)
from builder.rows import ORIGIN
from builder.split import ARTIFACT as INPUT, SPLIT_COLUMN

if TYPE_CHECKING:
    from builder.context import Context

ARTIFACT = "augmented"
ORIGIN_COLUMN = ORIGIN
#: Origins in the order they are reported.
ORIGINS = ("real", "oversampled", "smote", "synthetic")
TRAIN = "train"
METHODS = {"keep": "kept", "undersample": "random under-sampling",
           "oversample": "random over-sampling (duplicates)"}
#: A synthetic request for more rows than this is sampled in chunks of this many, as tasks.
CHUNK_ROWS = 100_000
#: Sample-frame columns: where a sampled row comes from (part, position among its train rows).
PART_COLUMN, POSITION_COLUMN = "__part", "__train_position"


@dataclass
class Built:
    """The pieces of the new train split (of the sample), and what was done to each class."""

    kept: pd.DataFrame
    added: list[pd.DataFrame] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    synthetic_metrics: dict[str, Any] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)
    chunks: list[tuple[Any, int, int]] = field(default_factory=list)  # (request, chunk, first id)
    synthesizer: Any = None


@dataclass
class Selection:
    """What happens to each part's train rows: kept or not, and how many copies."""

    keep: dict[str, np.ndarray] = field(default_factory=dict)  # part -> keep flag per train row
    copies: dict[str, list[tuple[int, np.ndarray]]] = field(default_factory=dict)


# -- per partition --------------------------------------------------------------------------------

def profile_part(name: str, ctx: Context, source: Path, keys: bool) -> dict[str, Any]:
    """Rows per split and class, and (`keys`) each train row's class and key."""
    label = ctx.recipe.task.label
    classes = ctx.recipe.task.classes
    columns = ["_id", label, SPLIT_COLUMN]
    df = read_part(source / name, columns=columns)
    splits = list(df[SPLIT_COLUMN].cat.categories)
    split_codes = df[SPLIT_COLUMN].cat.codes.to_numpy()
    class_codes = _class_codes(df[label], classes)
    counts = np.zeros((len(splits), len(classes) + 1), dtype=np.int64)
    np.add.at(counts, (split_codes, np.where(class_codes >= 0, class_codes, len(classes))), 1)
    result: dict[str, Any] = {"counts": counts, "splits": splits}
    if keys:
        train = split_codes == splits.index(TRAIN) if TRAIN in splits else \
            np.zeros(len(df), dtype=bool)
        all_keys = unit_hashes(df["_id"], ctx.step_seed("augment", "sample"), "augment")
        result["train_classes"] = class_codes[train]
        result["train_keys"] = all_keys[train]
        result["holdout_keys"] = all_keys[~train]
    return result


def _class_codes(labels: pd.Series, classes: list[str]) -> np.ndarray:
    from builder.labeling.stage import codes

    return codes(labels, classes)


def sample_part(item: tuple[int, str, float, float], ctx: Context, source: Path) -> pd.DataFrame:
    """The rows of a part in the sample: train rows with keys up to one bound, holdout rows
    with keys up to another; with their part and position among the part's train rows."""
    index, name, train_bound, holdout_bound = item
    df = read_part(source / name)
    train = (df[SPLIT_COLUMN] == TRAIN).to_numpy()
    keys = unit_hashes(df["_id"], ctx.step_seed("augment", "sample"), "augment")
    chosen = np.where(train, keys <= train_bound, keys <= holdout_bound)
    positions = np.where(train, np.cumsum(train) - 1, -1)
    sample = df[chosen].reset_index(drop=True)
    sample[PART_COLUMN] = index
    sample[POSITION_COLUMN] = positions[chosen]
    return sample


def write_real(item: tuple[str, Any, Any], ctx: Context, source: Path, out: Path,
               release: bool) -> dict[str, Any]:
    """A real part with `_origin: real`, its train rows kept as selected, and the copies of its
    rows in parts of their own (`part-xNNN-<part>`, after every real part)."""
    name, keep, copies = item
    if release:
        return {}
    df = read_part(source / name)
    df[ORIGIN_COLUMN] = repeat_string("real", df.index)
    train = (df[SPLIT_COLUMN] == TRAIN).to_numpy()
    counts = [origin_counts(df, ctx)]
    for sequence, per_row in copies or []:
        rows = copies_of(df[train].reset_index(drop=True), per_row)
        write_part(rows, out / f"part-x{sequence:03d}-{name}", groups=SPLIT_COLUMN)
        counts.append(origin_counts(rows, ctx))
    if keep is not None:
        kept = np.ones(len(df), dtype=bool)
        kept[train] = keep
        df = df[kept].reset_index(drop=True)
        counts[0] = origin_counts(df, ctx)
    write_part(df, out / name, groups=SPLIT_COLUMN)
    return merge_counts(counts)


def pass_real(name: str, ctx: Context, source: Path, out: Path) -> dict[str, Any]:
    """A part as it is, with `_origin: real`, in Arrow (no balancing, no synthetic rows): the
    table the pandas path (`write_real`) writes, pandas metadata included, in a tenth of the
    time."""
    table = read_table(source / name)
    origin = pa.array(["real"], pa.large_string()).take(
        pa.array(np.zeros(table.num_rows, dtype=np.int32)))
    table = append_column(table, ORIGIN_COLUMN, origin, STRING)
    write_part(table, out / name, groups=SPLIT_COLUMN)
    return table_origin_counts(table, ctx.recipe.task.label)


def table_origin_counts(table: pa.Table, label: str) -> dict[str, Any]:
    """`origin_counts` of an Arrow table: rows per split and origin, train rows per class and
    origin (a missing class counts as `<NA>`, as pandas writes it)."""
    def counts(*columns: pa.ChunkedArray) -> dict[tuple[str, ...], int]:
        text = [pc.fill_null(pc.cast(c, pa.string()), "<NA>") for c in columns]
        grouped = pa.table({str(i): t for i, t in enumerate(text)})
        rows = grouped.group_by(list(grouped.column_names)).aggregate([([], "count_all")])
        keys = zip(*(rows.column(str(i)).to_pylist() for i in range(len(text))))
        return dict(sorted(zip(keys, rows.column("count_all").to_pylist())))

    split, origin = table.column(SPLIT_COLUMN), table.column(ORIGIN_COLUMN)
    train = pc.equal(pc.cast(split, pa.string()), TRAIN)
    return {"splits": counts(split, origin),
            "train": counts(table.column(label).filter(train), origin.filter(train))}


def copies_of(train: pd.DataFrame, per_row: np.ndarray) -> pd.DataFrame:
    """Copies of train rows, round after round (a row with `n` copies is in the first `n`
    rounds): `_id` `<id>+<k>` for the k-th copy, origin `oversampled`."""
    rounds = int(per_row.max(initial=0))
    positions = np.concatenate([np.flatnonzero(per_row > r) for r in range(rounds)]) \
        if rounds else np.zeros(0, dtype=np.int64)
    number = np.concatenate([np.full(int((per_row > r).sum()), r + 1) for r in range(rounds)]) \
        if rounds else np.zeros(0, dtype=np.int64)
    rows = train.iloc[positions].reset_index(drop=True)
    rows["_id"] = (rows["_id"].astype(str) + "+" + pd.Series(number).astype(str)).astype(STRING)
    rows[ORIGIN_COLUMN] = pd.Series("oversampled", index=rows.index, dtype=STRING)
    return rows


def origin_counts(df: pd.DataFrame, ctx: Context) -> dict[str, Any]:
    """Rows per split and origin, and train rows per class and origin."""
    label = ctx.recipe.task.label
    per_split = df.groupby([df[SPLIT_COLUMN].astype(str), df[ORIGIN_COLUMN].astype(str)],
                           observed=True).size()
    train = df[df[SPLIT_COLUMN] == TRAIN]
    per_class = train.groupby([train[label].astype(str), train[ORIGIN_COLUMN].astype(str)],
                              observed=True).size()
    return {"splits": {k: int(v) for k, v in per_split.items()},
            "train": {k: int(v) for k, v in per_class.items()}}


def merge_counts(counts: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, dict] = {"splits": {}, "train": {}}
    for part in counts:
        for kind in total:
            for key, n in part.get(kind, {}).items():
                total[kind][key] = total[kind].get(key, 0) + n
    return total


def synthetic_chunk(item: tuple[Any, int, int, str], ctx: Context, train: pd.DataFrame,
                    metadata: Any, out: Path, like: pd.DataFrame) -> dict[str, Any]:
    """One chunk of a large synthetic request, from the model the driver fitted (loaded from
    the cache), with a seed derived from the request and the chunk; written as its own part."""
    from builder.synthetic import privacy
    from builder.synthetic.synthesize import Synthesizer

    request, chunk, first, name = item
    recipe = ctx.recipe
    label = recipe.task.label
    synthesizer = Synthesizer(recipe.synthetic, train, label, metadata,
                              ctx.data_dir / ".cache" / "synthetic",
                              lambda *names: ctx.step_seed("augment", "synthetic", *names))
    seed = ctx.step_seed("augment", "synthetic", "sample", request.purpose, request.name,
                         request.split, f"chunk{chunk}")
    rows = synthesizer.sample(request, seed)
    hits = privacy.canary_hits(rows, synthesizer.markers)
    if hits:
        from builder.errors import DataError

        raise DataError(f"synthetic: privacy canary failed in a chunk of '{request.name}': "
                        f"marker values of {', '.join(hits)} appear in generated rows.")
    prefix = "release" if request.purpose == "release" else request.purpose
    head = request.split if prefix == "release" else prefix
    ids = [f"synthetic/{head}/{request.name}/{n:06d}" for n in range(first, first + len(rows))]
    frame = assemble(rows, like, label=label, classes=rows[label].astype(str).tolist(),
                     origin="synthetic", ids=ids, source="synthetic", split=request.split)
    frame = frame.drop(columns=[c for c in frame.columns if c not in like.columns])
    write_part(frame, out / name, groups=SPLIT_COLUMN)
    return origin_counts(frame, ctx)


# -- the stage --------------------------------------------------------------------------------------

def run(ctx: Context) -> dict[str, Any]:
    """The augment stage: `split/` -> `augmented/` with an `_origin` column."""
    parts = Partitions.open(ctx.artifact(INPUT), "split")
    target = ctx.artifact(ARTIFACT)
    recipe = ctx.recipe
    active = recipe.balance.resolved_target is not None or recipe.synthetic.generator is not None
    profiles = ctx.map(profile_part, parts.names, parts.folder, active, label="count classes")
    with artifacts.atomic_dir(target) as out:
        if not active:
            counts = ctx.map(pass_real, parts.names, parts.folder, out, label="origins")
            augmenter = Augmenter(ctx, _empty_like(parts), profiles)
            metrics = augmenter.metrics(merge_counts(counts), None, Built(kept=augmenter.train))
        else:
            metrics = Augmenter(ctx, None, profiles, parts).run(out)
    artifacts.write_json(metrics, ctx.metrics_path("augment"))
    return metrics


def _empty_like(parts: Partitions) -> pd.DataFrame:
    frame = read_part(parts.path(0)).iloc[:0] if parts.count else pd.DataFrame()
    frame[ORIGIN_COLUMN] = pd.Series(dtype=STRING)
    return frame


class Augmenter:
    """Plans the augment stage from the counts and runs its table-wise steps on the sample."""

    def __init__(self, ctx: Context, df: pd.DataFrame | None, profiles: list[dict],
                 parts: Partitions | None = None):
        self.ctx = ctx
        self.parts = parts
        self.profiles = profiles
        recipe = ctx.recipe
        self.task = recipe.task
        self.balance = recipe.balance
        self.synthetic = recipe.synthetic
        self.label = self.task.label
        self.splits = list(profiles[0]["splits"]) if profiles else list(recipe.split.fractions)
        self.counts = sum((p["counts"] for p in profiles),
                          np.zeros((len(self.splits), len(self.task.classes) + 1), np.int64))
        if df is None:
            df = self.gather_sample()
        self.df = df
        is_train = (df[SPLIT_COLUMN] == TRAIN).to_numpy()
        self.train = df[is_train].reset_index(drop=True)
        self.holdout = df[~is_train].reset_index(drop=True)
        self.features = feature_columns(df, self.task)
        self._metadata: Any = None

    def gather_sample(self) -> pd.DataFrame:
        """The sample of rows the table-wise steps see (every row of a smaller table)."""
        limit = self.synthetic.fit_rows
        bounds = [_bound([p["train_keys"] for p in self.profiles], limit),
                  _bound([p["holdout_keys"] for p in self.profiles], limit)]
        items = [(i, name, *bounds) for i, name in enumerate(self.parts.names)]
        frames = self.ctx.map(sample_part, items, self.parts.folder, label="sample")
        df = concat_rows(frames, frames[0])
        df[ORIGIN_COLUMN] = repeat_string("real", df.index)
        return df

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
        """Train rows per class (of the whole table)."""
        row = self.counts[self.splits.index(TRAIN)] if TRAIN in self.splits else \
            np.zeros(len(self.task.classes) + 1, np.int64)
        return {c: int(n) for c, n in zip(self.task.classes, row)}

    def split_counts(self, split: str) -> dict[str, int]:
        row = self.counts[self.splits.index(split)]
        return {c: int(n) for c, n in zip(self.task.classes, row)}

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

    def select(self, plans: list[ClassPlan] | None) -> Selection:
        """Which train rows under-sampled classes keep and how often over-sampled ones are
        copied, for every part: from the rows' keys, so whatever the partitioning."""
        selection = Selection()
        if not plans:
            return selection
        classes = [p["train_classes"] for p in self.profiles]
        keys = [p["train_keys"] for p in self.profiles]
        every_class = np.concatenate(classes)
        every_key = np.concatenate(keys)
        bounds = np.cumsum([0, *[len(c) for c in classes]])
        keep = np.ones(len(every_class), dtype=bool)
        copies: list[tuple[int, np.ndarray]] = []
        for sequence, plan in enumerate(plans):
            code = self.task.classes.index(plan.name)
            rows = np.flatnonzero(every_class == code)
            order = rows[np.argsort(every_key[rows], kind="stable")]
            if plan.strategy == "undersample":
                keep[order[plan.target:]] = False
            elif plan.strategy == "oversample":
                rounds, rest = divmod(plan.change, len(rows))
                per_row = np.zeros(len(every_class), dtype=np.int64)
                per_row[rows] = rounds
                per_row[order[:rest]] += 1
                copies.append((sequence, per_row))
        for i, name in enumerate(self.parts.names):
            part = slice(bounds[i], bounds[i + 1])
            if not keep[part].all():
                selection.keep[name] = keep[part]
            mine = [(sequence, per_row[part]) for sequence, per_row in copies
                    if per_row[part].any()]
            if mine:
                selection.copies[name] = mine
        return selection

    # -- the run ----------------------------------------------------------------------------

    def run(self, out: Path) -> dict[str, Any]:
        plans = self.plan()
        selection = self.select(plans)
        release = self.synthetic.mode == "release"
        if release:
            built, holdout_out = self.release(plans)
        else:
            built = self.balance_train(plans, selection)
            holdout_out = self.holdout
        train_out = concat_rows([built.kept, *built.added], self.df)
        items = [(n, selection.keep.get(n), selection.copies.get(n)) for n in self.parts.names]
        counts = self.ctx.map(write_real, items, self.parts.folder, out, release,
                              label="write rows")
        counts += self.write_generated(built, out, holdout_out if release else None)
        sample_out = self.ordered(train_out, holdout_out)
        metrics = self.metrics(merge_counts(counts), plans, built)
        evaluation = self.evaluate(sample_out, train_out, built)
        evaluation["gates"] = self.enforce_gates(evaluation)
        metrics.update(evaluation)
        if built.dropped_columns:
            self.drop_columns(out, built.dropped_columns)
        return metrics

    def write_generated(self, built: Built, out: Path,
                        holdout: pd.DataFrame | None) -> list[dict[str, Any]]:
        """The generated rows made in the driver as parts (after the real parts and copies),
        then the chunks of large synthetic requests as tasks."""
        counts = []
        frames = [f for f in built.added if len(f) and f[ORIGIN_COLUMN].iloc[0] != "oversampled"]
        if holdout is not None and len(holdout):
            frames.append(holdout)
        like = self.df.drop(columns=[PART_COLUMN, POSITION_COLUMN], errors="ignore")
        for i, frame in enumerate(frames):
            frame = frame[[c for c in like.columns if c in frame.columns]]
            write_part(frame, out / f"part-y{i:03d}{PART_SUFFIX}", groups=SPLIT_COLUMN)
            counts.append(origin_counts(frame, self.ctx))
        if built.chunks:
            items = [(request, chunk, first, part_name(i, prefix="z"))
                     for i, (request, chunk, first) in enumerate(built.chunks)]
            train = self.train[[*self.features, self.label]]
            counts += self.ctx.map(synthetic_chunk, items, train, self.metadata, out,
                                   like.iloc[:0], label="synthetic chunks", threads=False)
        return counts

    def drop_columns(self, out: Path, columns: list[str]) -> None:
        """Release mode drops PII columns from every part."""
        for path in sorted(out.glob("part-*" + PART_SUFFIX)):
            frame = read_part(path)
            write_part(frame.drop(columns=[c for c in columns if c in frame.columns]), path,
                       groups=SPLIT_COLUMN)

    def ordered(self, train: pd.DataFrame, holdout: pd.DataFrame) -> pd.DataFrame:
        """Rows grouped by split in the split order, the train split's real rows first."""
        parts = []
        for split in self.splits:
            if split == TRAIN:
                parts.append(train)
            else:
                parts.append(holdout[holdout[SPLIT_COLUMN] == split])
        return concat_rows(parts, self.df)

    # -- balancing (of the sample) ----------------------------------------------------------

    def balance_train(self, plans: list[ClassPlan] | None, selection: Selection) -> Built:
        """Under/over-sample and SMOTE the train split per plan, then add synthetic rows."""
        from builder.balance import samplers

        built = Built(kept=self.train)
        requests = []
        if plans:
            labels = self.train[self.label]
            keep = self.sample_flags(selection.keep, True)
            for sequence, plan in enumerate(plans):
                if plan.strategy == "oversample":
                    per_row = self.sample_copies(selection.copies, sequence)
                    built.added.append(copies_of(self.train, per_row))
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

    def sample_flags(self, flags: dict[str, np.ndarray], default: bool) -> np.ndarray:
        """A per-part flag over train rows, looked up for the sample's train rows."""
        result = np.full(len(self.train), default)
        for i, name in enumerate(self.parts.names):
            if name in flags:
                mine = (self.train[PART_COLUMN] == i).to_numpy()
                result[mine] = flags[name][self.train.loc[mine, POSITION_COLUMN].to_numpy()]
        return result

    def sample_copies(self, copies: dict[str, list], sequence: int) -> np.ndarray:
        result = np.zeros(len(self.train), dtype=np.int64)
        for i, name in enumerate(self.parts.names):
            for number, per_row in copies.get(name, []):
                if number == sequence:
                    mine = (self.train[PART_COLUMN] == i).to_numpy()
                    result[mine] = per_row[self.train.loc[mine, POSITION_COLUMN].to_numpy()]
        return result

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
        requests = self.chunked(requests, built)
        synthesis = self.synthesizer().run(requests, self.df[[*self.features, self.label]])
        ids = _request_ids(synthesis.requests)
        built.added.append(self.generated(synthesis.rows, synthesis.rows[self.label].astype(str)
                                          .tolist(), "synthetic", ids))
        for _, name, _ in gaps:
            built.methods[name] = self.method_name()
        made = _request_counts(synthesis.requests)
        for request, _, _ in built.chunks:
            made[request.purpose][request.name] += request.rows
        built.synthetic_metrics = {**synthesis.metrics, "requests": made}

    def chunked(self, requests: list, built: Built) -> list:
        """Requests of at most `CHUNK_ROWS` rows for the driver; the rest of a larger request
        goes to `built.chunks`, sampled as tasks with seeds derived from the chunk number."""
        from dataclasses import replace

        kept = []
        for request in requests:
            if request.rows <= CHUNK_ROWS or request.conditions:
                kept.append(request)
                continue
            kept.append(replace(request, rows=CHUNK_ROWS))
            for chunk, first in enumerate(range(CHUNK_ROWS, request.rows, CHUNK_ROWS), start=1):
                rows = min(CHUNK_ROWS, request.rows - first)
                built.chunks.append((replace(request, rows=rows), chunk, first + 1))
        return kept

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
            counts = targets if split == TRAIN else self.split_counts(split)
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

    def metrics(self, counts: dict[str, Any], plans: list[ClassPlan] | None,
                built: Built) -> dict:
        """The stage's figures from the parts' counts: rows per split and origin, train rows
        per class and origin."""
        per_split: dict[str, dict[str, int]] = {}
        for (split, origin), n in sorted(counts["splits"].items()):
            per_split.setdefault(split, {})[origin] = n
        per_class: dict[str, dict[str, int]] = {}
        for (klass, origin), n in counts["train"].items():
            per_class.setdefault(klass, {})[origin] = n
        origins = {o: sum(s.get(o, 0) for s in per_split.values()) for o in ORIGINS}
        after = {c: sum(per_class.get(c, {}).values()) for c in self.task.classes}
        metrics: dict[str, Any] = {
            "rows": sum(origins.values()),
            "origins": {o: n for o, n in origins.items() if n},
            "origins_per_split": {s: {o: n for o, n in per_split[s].items() if n}
                                  for s in self.splits if s in per_split},
            "rows_per_split": {s: sum(per_split.get(s, {}).values()) for s in self.splits},
            "train_classes": {"before": self.before(), "after": after},
            "mode": self.synthetic.mode if self.synthetic.generator is not None else None,
        }
        if plans is not None:
            target = self.balance.resolved_target
            classes = {}
            for plan in plans:
                row = per_class.get(plan.name, {})
                classes[plan.name] = {
                    "before": plan.before, "target": plan.target,
                    "after": after.get(plan.name, 0),
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


def _bound(keys: list[np.ndarray], limit: int) -> float:
    """The key bound that chooses at most `limit` rows of these keys (all of them if fewer)."""
    every = np.concatenate(keys) if keys else np.zeros(0)
    if len(every) <= limit:
        return 1.0
    return float(np.partition(every, limit - 1)[limit - 1])


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
