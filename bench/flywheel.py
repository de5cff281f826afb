"""Flywheel timings at scale: merging the label store into 1,000,000 rows, and the review queue.

    python bench/flywheel.py [--rows 1000000] [--labeled 100000] [--annotators 3]

Builds a label store of `labeled` rows x `annotators` annotations (in a temporary folder,
through `import_records`), then times: reading and verifying the store, consensus by majority
and by Dawid-Skene with every agreement metric, merging into the rows by precedence, and each
review-queue strategy over all rows. No baseline tool exists for these steps; the figures are
absolute, with the rows per second.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from builder.labeling.human.config import HumanConfig
    from builder.labeling.human.merge import human_candidate
    from builder.labeling.human.queue import select
    from builder.labeling.human.store import LabelStore, check_records, import_records
    from builder.labeling.merge import Candidate, merge_labels
    from builder.recipe.schema import TaskConfig

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--labeled", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    classes = ["a", "b", "c"]
    task = TaskConfig(type="text-classification", text="text", label="label", classes=classes)
    ids = pd.array([f"src/{i:07d}" for i in range(args.rows)], dtype="string")
    truth = rng.integers(0, 3, size=args.rows)
    weak = np.where(rng.random(args.rows) < 0.8, truth, rng.integers(0, 3, size=args.rows))
    df = pd.DataFrame({
        "_id": ids, "text": pd.array(["some text"] * args.rows, dtype="string"),
        "label": pd.array(np.array(classes)[weak], dtype="string"),
        "label_source": pd.array(["weak"] * args.rows, dtype="string"),
        "label_confidence": rng.random(args.rows),
        "weak_label": pd.array(np.array(classes)[weak], dtype="string"),
        "weak_confidence": rng.random(args.rows),
        "lf_conflict": rng.random(args.rows) < 0.1,
        "model_label": pd.array(np.array(classes)[rng.integers(0, 3, args.rows)], dtype="string"),
        "model_confidence": rng.random(args.rows),
    })
    rows = rng.choice(args.rows, size=args.labeled, replace=False)
    accuracy = np.linspace(0.95, 0.7, args.annotators)
    records = []
    for a in range(args.annotators):
        right = rng.random(args.labeled) < accuracy[a]
        given = np.where(right, truth[rows], (truth[rows] + rng.integers(1, 3, args.labeled)) % 3)
        records += [{"_id": ids[r], "label": classes[g], "annotator": f"w{a}", "where": "x"}
                    for r, g in zip(rows, given)]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "results.csv"
        source.write_text("synthetic\n")
        started = time.perf_counter()
        known = set(ids)
        problems = check_records(records, known, classes)
        check = time.perf_counter() - started
        assert not problems
        started = time.perf_counter()
        import_records(LabelStore(Path(tmp) / "labels"), records, tool="csv", source=source,
                       imported_by="bench", imported_at="2026-01-01T00:00:00+00:00")
        write = time.perf_counter() - started
        print(f"import of {len(records):,} annotations: check {check:.2f} s, write {write:.2f} s")
        for method in ("majority", "dawid_skene"):
            started = time.perf_counter()
            human, _, metrics = human_candidate(df, Path(tmp) / "labels", task,
                                                HumanConfig(aggregate=method))
            out = merge_labels({"human": human, "weak": Candidate(df["label"],
                                                                  df["label_confidence"])},
                               df.index)
            took = time.perf_counter() - started
            got = out.set_index(df["_id"]).loc[ids[rows]]
            human = (got["label_source"] == "human").to_numpy()
            correct = (got["label"].to_numpy()[human] == np.array(classes)[truth[rows]][human])
            print(f"merge {method}: {took:.2f} s for {args.rows:,} rows and {len(records):,} "
                  f"annotations ({len(records) / took:,.0f} annotations/s); consensus accuracy "
                  f"{correct.mean():.3f} on {human.sum():,} rows ({metrics['ties']:,} ties); "
                  f"alpha {metrics['krippendorff_alpha']}, "
                  f"EM iterations {metrics.get('dawid_skene_iterations', '-')}")
    for strategy in ("least_confident", "lf_conflict", "disagreement", "audit"):
        started = time.perf_counter()
        queue = select(df, task, strategy, budget=1000, seed=1, exclude=set(ids[rows[:1000]]))
        took = time.perf_counter() - started
        print(f"queue {strategy}: {took:.2f} s over {args.rows:,} rows "
              f"({queue.candidates:,} candidates, {len(queue.rows)} picked)")


if __name__ == "__main__":
    main()
