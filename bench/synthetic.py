"""Benchmark: synthetic data on a real imbalanced table (ISLR `Default`: 10,000 rows, 3.3% default).

Three measurements, each against a baseline run in the same process:

1. Overhead: fitting and sampling through Flywheel (`builder.synthetic`: metadata detection and
   overrides, the cache key, the cached pickle, seeding) against calling SDV directly (detect,
   fit, sample). Target: at most 10% slower.
2. Rare-class generation: making the rows a balanced train split needs for the 3% class with
   one model per class against SDV's `sample_from_conditions` on one model of the whole table
   (reject sampling), same model family and rows on both sides. Target: at least 5x faster. The
   Flywheel side runs the augment stage's code (`builder.synthetic.synthesize.Synthesizer`,
   `sampling: per_class`): metadata detected on the whole train table as the stage does, the
   class's model fitted (for the Gaussian copula `builder.synthetic.copula`; CTGAN and TVAE
   through SDV, with the class's epochs raised to the steps of a whole-table model), then
   sampled; the SDV side detects the metadata, fits and samples. Also reported: how faithful the
   rows are (SDMetrics quality against the real rows of the class).
3. Efficacy: the augment stage on a recipe over the same table, raw against balanced train
   splits (random over-sampling, SMOTE, SDV per-class synthesis): balanced accuracy and F1 of the
   minority class on the real test split.

Overhead times are the best of `--repeat` runs of each side, interleaved; the rare-class times
medians of `--repeat` interleaved rounds (CTGAN and TVAE: one round). One thread for numpy, scikit-learn and torch on both sides;
CPU time is shown next to wall time because the machine's cores are shared.

    python bench/synthetic.py [--repeat K] [--epochs E] [--skip-ctgan]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LABEL = "default"
RARE = "Yes"
SEED = 20260101


def default_csv() -> Path:
    """ISLR's Default table, as shipped in the ISLP package (see ../shared/DATA.md)."""
    spec = importlib.util.find_spec("ISLP")
    if spec is None:
        sys.exit("bench/synthetic.py needs ISLP==0.6.0 (pip install --no-deps ISLP==0.6.0)")
    return Path(spec.submodule_search_locations[0]) / "data" / "Default.csv"


def clock(job: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = job()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def sdv_class(kind: str):
    import sdv.single_table

    return {"gaussian_copula": sdv.single_table.GaussianCopulaSynthesizer,
            "ctgan": sdv.single_table.CTGANSynthesizer,
            "tvae": sdv.single_table.TVAESynthesizer}[kind]


def options(kind: str, epochs: int) -> dict:
    if kind == "gaussian_copula":
        return {"default_distribution": "norm"}
    return {"epochs": epochs, "enable_gpu": False}


def generator_config(kind: str, epochs: int):
    """Flywheel's config of the generator `options(kind, epochs)` describes."""
    from builder.synthetic.config import GENERATORS

    chosen = {k: v for k, v in options(kind, epochs).items() if k != "enable_gpu"}
    return GENERATORS.get(kind).Config(type=kind, **chosen)


def flywheel_models(kind: str, epochs: int, cache: Path):
    from builder.synthetic.config import GENERATORS
    from builder.synthetic.models import Models

    config = generator_config(kind, epochs)
    return Models(GENERATORS.get(kind)(config), [], cache)


def flywheel_synthesizer(train, kind: str, epochs: int, cache: Path):
    """The augment stage's synthesizer of `train` with `sampling: per_class`, its metadata
    detected on the whole table as the stage does."""
    from builder.context import derive_seed
    from builder.synthetic import metadata as meta
    from builder.synthetic.config import SyntheticConfig
    from builder.synthetic.models import quiet
    from builder.synthetic.synthesize import Synthesizer

    config = SyntheticConfig(generator=generator_config(kind, epochs), sampling="per_class",
                             rows=1)
    with quiet():
        metadata = meta.detect(meta.plain(train), LABEL, {})
    return Synthesizer(config, train, LABEL, metadata, cache,
                       lambda *names: derive_seed(SEED, *names))


def sdv_fit(train, kind: str, epochs: int, label: str):
    """SDV called directly: detect the metadata (the label categorical), fit a synthesizer."""
    from sdv.metadata import Metadata

    from builder.synthetic.models import quiet, seed_everything

    with quiet():
        metadata = Metadata.detect_from_dataframes({"table": train})
        metadata.update_column(column_name=label, sdtype="categorical", table_name="table")
        synthesizer = sdv_class(kind)(metadata, **options(kind, epochs))
        seed_everything(SEED, kind != "gaussian_copula")
        synthesizer.fit({"table": train})
    return synthesizer


def overhead(train, kind: str, epochs: int, rows: int, repeat: int, label: str = LABEL) -> dict:
    """Fit on the whole train table and sample `rows` rows: Flywheel against SDV."""
    from builder.synthetic import metadata as meta
    from builder.synthetic.models import quiet, sample

    def direct():
        synthesizer = sdv_fit(train, kind, epochs, label)
        with quiet():
            return synthesizer.sample(rows)["table"]

    def ours():
        cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
        try:
            with quiet():
                metadata = meta.detect(meta.plain(train), label, {})
            model = flywheel_models(kind, epochs, cache).fit("joint", train, metadata, SEED)
            return sample(model, rows, SEED)
        finally:
            shutil.rmtree(cache)

    direct()  # warm-up: first-call costs (lazy imports, caches) on neither side's clock
    results = {"sdv": [], "flywheel": []}
    for _ in range(repeat):  # interleaved, so load changes hit both sides alike
        results["sdv"].append(clock(direct))
        results["flywheel"].append(clock(ours))
    # Best of the runs, as bench/backbone.py does: on shared cores the slow runs measure the
    # neighbours' load, not the code.
    return {side: (min(r[0] for r in runs), min(r[1] for r in runs))
            for side, runs in results.items()}


def rare_class(train, kind: str, epochs: int, rows: int, repeat: int) -> dict:
    """`rows` rows of the rare class: one model of the class against sample_from_conditions."""
    from sdv.evaluation import evaluate_quality
    from sdv.metadata import Metadata
    from sdv.sampling import Condition

    from builder.synthetic.models import quiet
    from builder.synthetic.synthesize import Request

    real_rare = train[train[LABEL] == RARE].drop(columns=LABEL).reset_index(drop=True)
    result: dict = {"rows": rows, "class_rows": len(real_rare)}

    def fit_joint():
        return sdv_fit(train, kind, epochs, LABEL)

    def conditional(synthesizer):
        with quiet():
            synthesizer.reset_sampling()
            try:
                out = synthesizer.sample_from_conditions(
                    [Condition(column_values={LABEL: RARE}, num_rows=rows)])["table"]
            except ValueError as error:  # SDV: "Unable to sample any rows for the given conditions"
                return str(error).split(".")[0]
        return out.drop(columns=LABEL)

    cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))

    def fit_class():
        shutil.rmtree(cache, ignore_errors=True)  # a fit, never a cached model
        synthesizer = flywheel_synthesizer(train, kind, epochs, cache)
        synthesizer.model_for(RARE)
        return synthesizer

    def sample_class(synthesizer):
        made = synthesizer.sample(Request("balance", RARE, RARE, rows), SEED)
        return made.drop(columns=LABEL)

    runs: dict[str, list] = {"sdv_fit_joint": [], "sdv_sample_from_conditions": [],
                             "flywheel_fit_class": [], "flywheel_sample_class": []}
    try:
        # Interleaved rounds, so that the neighbours' load hits both sides alike; medians.
        for _ in range(repeat if kind == "gaussian_copula" else 1):
            runs["sdv_fit_joint"].append(clock(fit_joint))
            joint = runs["sdv_fit_joint"][-1][2]
            runs["sdv_sample_from_conditions"].append(clock(lambda: conditional(joint)))
            runs["flywheel_fit_class"].append(clock(fit_class))
            synthesizer = runs["flywheel_fit_class"][-1][2]
            runs["flywheel_sample_class"].append(clock(lambda: sample_class(synthesizer)))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    for name, timed in runs.items():
        result[name] = (statistics.median(r[0] for r in timed),
                        statistics.median(r[1] for r in timed))
    cond_rows = runs["sdv_sample_from_conditions"][-1][2]
    class_rows = runs["flywheel_sample_class"][-1][2]
    record = synthesizer.models.records[RARE]
    result.update({"flywheel_engine": record.engine, "flywheel_epochs": record.epochs})
    with quiet():
        metadata = Metadata.detect_from_dataframes({"table": real_rare})
        for name, made in (("sdv", cond_rows), ("flywheel", class_rows)):
            if isinstance(made, str):
                result[f"{name}_quality"] = made
            else:
                result[f"{name}_rows_made"] = len(made)
                result[f"{name}_quality"] = evaluate_quality(real_rare, made, metadata,
                                                             verbose=False).get_score()
                result[f"{name}_mean_balance"] = float(made["balance"].mean())
    result["real_mean_balance"] = float(real_rare["balance"].mean())
    return result


RECIPE = """\
defaults: [base, _self_]
name: default
seed: 5
task: {type: tabular-classification, label: default, classes: ["No", "Yes"]}
sources:
  islr: {type: csv, path: recipes/data/Default.csv, cast: {student: category}}
"""
VARIANTS = {
    "oversample": "balance: {target: balanced, strategy: oversample}\n",
    "smote": "balance: {target: balanced, strategy: smote}\n",
    "synthetic": ("balance: {target: balanced, strategy: synthetic}\n"
                  "synthetic: {generator: {type: gaussian_copula}}\n"),
    "synthetic, max_ratio 3": ("balance: {target: {max_ratio: 3}, strategy: synthetic}\n"
                               "synthetic: {generator: {type: gaussian_copula}}\n"),
}


def efficacy(csv: Path) -> dict:
    """The augment stage's efficacy figures for each balancing variant of one recipe."""
    from builder import artifacts
    from builder.pipeline import runner

    root = Path(tempfile.mkdtemp(prefix="bench-efficacy-"))
    try:
        shutil.copytree(REPO / "conf", root / "conf")
        (root / "recipes" / "data").mkdir(parents=True)
        shutil.copy(csv, root / "recipes" / "data" / "Default.csv")
        results = {}
        for variant, body in VARIANTS.items():
            (root / "recipes" / "default.yaml").write_text(RECIPE + textwrap.dedent(body))
            wall, _, ctx = clock(lambda: runner.build("default", root, progress=False))
            metrics = artifacts.read_json(ctx.metrics_path("augment"))
            results[variant] = (metrics.get("efficacy"), metrics["train_classes"]["after"], wall)
        return results
    finally:
        shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5, help="CTGAN epochs (default 5)")
    parser.add_argument("--skip-ctgan", action="store_true", help="no CTGAN or TVAE runs")
    args = parser.parse_args()

    import pandas as pd
    import torch
    from threadpoolctl import threadpool_limits

    from builder.synthetic.models import quiet

    with quiet():
        import sdv.evaluation  # noqa: F401  (imported before any clock starts)
        import sdv.single_table  # noqa: F401
    # One thread for numpy/scikit-learn (OpenMP, BLAS) and torch, on both sides: on shared cores,
    # spinning worker threads made the same CTGAN fit take 4 s in one run and 32 s in the next.
    threadpool_limits(limits=1)
    torch.set_num_threads(1)
    csv = default_csv()
    table = pd.read_csv(csv)
    # The train split of the efficacy recipe is what the stage fits on; here a seeded 80%.
    train = table.sample(frac=0.8, random_state=SEED).reset_index(drop=True)
    rare_rows = int((train[LABEL] != RARE).sum() - (train[LABEL] == RARE).sum())
    print(f"ISLR Default: {len(table)} rows, {(table[LABEL] == RARE).mean():.1%} '{RARE}'; "
          f"train sample {len(train)} rows, {int((train[LABEL] == RARE).sum())} '{RARE}'\n")
    kinds = ["gaussian_copula"] + ([] if args.skip_ctgan else ["ctgan", "tvae"])

    print("1. Fit on the table + sample 10,000 rows: Flywheel against SDV directly (best of "
          f"{3 * args.repeat} for the Gaussian copula, {min(args.repeat, 3)} for CTGAN, "
          "interleaved; target overhead <= 10%)")
    tables = {"ISLR Default": (train, LABEL),
              "modeldata credit_data": (pd.read_csv(REPO / "recipes/data/credit_data.csv"),
                                        "Status"),
              "modeldata mlc_churn": (pd.read_csv(REPO / "recipes/data/mlc_churn.csv.bz2"),
                                      "churn")}
    # A Gaussian-copula fit takes a fraction of a second, where one unlucky run on shared cores
    # swings the best of 5 by tens of per cent: three times the runs.
    runs = [(name, "gaussian_copula", 3 * args.repeat) for name in tables]
    if not args.skip_ctgan:
        runs.append(("ISLR Default", "ctgan", min(args.repeat, 3)))
    for name, kind, repeat in runs:
        frame, label = tables[name]
        times = overhead(frame, kind, args.epochs, 10_000, repeat, label)
        (sdv_wall, sdv_cpu), (ours_wall, ours_cpu) = times["sdv"], times["flywheel"]
        model = kind + (f" ({args.epochs} epochs)" if kind != "gaussian_copula" else "")
        print(f"   {name:22s} {len(frame):5d} x {frame.shape[1]:2d}  {model:17s} SDV "
              f"{sdv_wall:6.2f} s ({sdv_cpu:6.2f} s CPU)  Flywheel {ours_wall:6.2f} s "
              f"({ours_cpu:6.2f} s CPU)  overhead {ours_wall / sdv_wall - 1:+6.1%} wall "
              f"({(ours_wall - sdv_wall) * 1000:+5.0f} ms), {ours_cpu / sdv_cpu - 1:+6.1%} CPU")

    print(f"\n2. {rare_rows} rows of the {(train[LABEL] == RARE).mean():.1%} class (what "
          "`target: balanced` asks for): one model per class against sample_from_conditions "
          "(target >= 5x)")
    for kind in kinds:
        r = rare_class(train, kind, args.epochs, rare_rows, args.repeat)
        sdv_total = r["sdv_fit_joint"][0] + r["sdv_sample_from_conditions"][0]
        ours_total = r["flywheel_fit_class"][0] + r["flywheel_sample_class"][0]
        print(f"   {kind}" + (f" ({args.epochs} epochs)" if kind != "gaussian_copula" else "")
              + ":")
        print(f"     SDV      fit whole table {r['sdv_fit_joint'][0]:6.2f} s + "
              f"sample_from_conditions {r['sdv_sample_from_conditions'][0]:6.2f} s = "
              f"{sdv_total:6.2f} s")
        print(f"     Flywheel fit the class    {r['flywheel_fit_class'][0]:6.2f} s + sample "
              f"{r['flywheel_sample_class'][0]:13.2f} s = {ours_total:6.2f} s  ("
              + r["flywheel_engine"]
              + (f", {r['flywheel_epochs']} epochs" if r["flywheel_epochs"] else "") + ")")
        failed = isinstance(r["sdv_quality"], str)
        print(f"     speed-up: {sdv_total / ours_total:.1f}x end to end, "
              f"{r['sdv_sample_from_conditions'][0] / r['flywheel_sample_class'][0]:.1f}x "
              "sampling alone (both models fitted)"
              + (" -- and SDV made no row at all" if failed else ""))
        for side in ("sdv", "flywheel"):
            quality = r[f"{side}_quality"]
            if isinstance(quality, str):
                print(f"     {side:8s} rows: none ({quality})")
            else:
                print(f"     {side:8s} rows: {r[f'{side}_rows_made']}, quality {quality:.3f} "
                      f"against the real '{RARE}' rows, mean balance "
                      f"{r[f'{side}_mean_balance']:.0f} (real {r['real_mean_balance']:.0f})")

    print("\n3. Efficacy on the real test split (HistGradientBoosting, balanced accuracy / F1 of "
          f"'{RARE}'), augment stage per balancing variant")
    results = efficacy(csv)
    first = next(iter(results.values()))
    raw = first[0]["raw"]
    print(f"   {'raw (no balancing)':24s} train {raw['train_rows']} rows: balanced accuracy "
          f"{raw['balanced_accuracy']:.4f}, F1 {raw['minority_f1']:.4f}")
    for variant, (result, counts, wall) in results.items():
        built = result["built"]
        print(f"   {variant:24s} train {counts}: balanced accuracy "
              f"{built['balanced_accuracy']:.4f}, F1 {built['minority_f1']:.4f}  "
              f"(build {wall:.1f} s)")


if __name__ == "__main__":
    main()
