"""The Snorkel 0.10 side of `bench/labeling.py`; runs inside `.venv-snorkel`.

Builds ordinary Snorkel labeling functions (one Python call per row, as Snorkel users write
them) equivalent to the benchmark's recipe functions, applies them with `PandasLFApplier`,
fits `LabelModel` (500 epochs) and predicts. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from snorkel.labeling import LabelingFunction, PandasLFApplier
from snorkel.labeling.model import LabelModel

REPO = Path(__file__).resolve().parents[1]
CLASSES = ["fresh", "rotten", "plot"]
ABSTAIN = -1


def module_constant(path: Path, name: str) -> str:
    """A string constant of a module, read without importing it (this venv lacks builder)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(name)


def word_regex(words, case_sensitive: bool) -> re.Pattern:
    body = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{body})(?![A-Za-z0-9_])", flags)


def make_function(name: str, item: dict):
    """A per-row Python function equivalent to one recipe labeling function."""
    code = CLASSES.index(item["label"])
    kind = item["type"]
    if kind == "keyword" and item.get("mode", "any") == "all":
        patterns = [word_regex([w], item.get("case_sensitive", False)) for w in item["words"]]
        return lambda x: code if x.text and all(p.search(x.text) for p in patterns) else ABSTAIN
    if kind == "keyword":
        pattern = word_regex(item["words"], item.get("case_sensitive", False))
        return lambda x: code if x.text and pattern.search(x.text) else ABSTAIN
    if kind == "regex":
        flags = re.ASCII | (0 if item.get("case_sensitive", True) else re.IGNORECASE)
        pattern = re.compile(item["pattern"], flags)
        return lambda x: code if x.text and pattern.search(x.text) else ABSTAIN
    if kind == "threshold":
        value = item["value"]
        return lambda x: code if x.text and len(x.text) > value else ABSTAIN
    if kind == "lookup":
        values = set(item["values"])
        return lambda x: code if x.movie_name in values else ABSTAIN
    if name == "many_clauses":
        return lambda x: code if x.text and x.text.count(",") >= 3 and len(x.text) > 180 else ABSTAIN
    if name == "recommends":
        pattern = re.compile(module_constant(REPO / "recipes/functions/reviews.py", "RECOMMENDS"),
                             re.IGNORECASE | re.ASCII)
        return lambda x: code if x.text and pattern.search(x.text) else ABSTAIN
    raise ValueError(f"no Snorkel equivalent for {name}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--spec", type=Path, required=True)
    args = parser.parse_args()
    spec = json.loads(args.spec.read_text())
    df = pd.read_parquet(args.data)
    df["text"] = df["text"].astype(object).where(df["text"].notna(), None)
    gold = pd.Categorical(df["gold"], categories=CLASSES).codes
    lfs = [LabelingFunction(name, make_function(name, item)) for name, item in spec.items()]
    started, cpu_started = time.perf_counter(), time.process_time()
    matrix = PandasLFApplier(lfs).apply(df, progress_bar=False)
    applied = time.perf_counter()
    model = LabelModel(cardinality=len(CLASSES), verbose=False)
    model.fit(matrix, n_epochs=500, seed=123, log_freq=1000)
    labels = model.predict(matrix, tie_break_policy="abstain")
    finished, cpu_finished = time.perf_counter(), time.process_time()
    voted = (np.asarray(matrix) >= 0).any(axis=1)
    labeled = labels >= 0
    right = (labels == gold) & labeled
    print(json.dumps({
        "apply_s": applied - started, "model_s": finished - applied,
        "total_s": finished - started, "cpu_s": cpu_finished - cpu_started,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # The same figures as `accuracy` in bench/labeling.py (a tie left unlabeled is wrong).
        "model": {"voted_rows": int(voted.sum()), "labeled_rows": int(labeled.sum()),
                  "accuracy_voted": round(float(right[voted].mean()), 4),
                  "accuracy_all": round(float(right.mean()), 4),
                  "accuracy_labeled": round(float(right[labeled].mean()), 4)},
        "coverage": [round(float(c), 4) for c in (np.asarray(matrix) >= 0).mean(axis=0)],
    }))


if __name__ == "__main__":
    main()
