"""A generated loan table and a recipe over it that runs every stage: transforms (filter,
text normalisation, dedup across partitions), labeling functions with a label model and a
pseudo-labeler, a stratified split, balancing and a synthesizer, and the export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

RECIPE = """\
defaults: [base, _self_]
name: {name}
seed: 11
task: {{type: tabular-classification, label: risk, classes: [low, medium, high]}}
sources:
  loans: {{type: csv, path: recipes/data/loans.csv, cast: {{region: category}}}}
  more_loans: {{type: jsonl, path: recipes/data/more_loans.jsonl, cast: {{region: category}}}}
transforms:
  adults: {{type: filter, query: "age >= 21"}}
  tidy_note: {{type: normalize_text, columns: [note], lower: true}}
  one_per_customer: {{type: dedup, columns: [customer]}}
labeling:
  functions:
    heavy_load: {{type: expression, label: high, expression: "amount / income > 0.45"}}
    light_load: {{type: expression, label: low, expression: "amount / income < 0.2"}}
    late: {{type: keyword, label: high, column: note, words: [late, missed]}}
    wealthy: {{type: threshold, label: low, column: income, op: ">", value: 90000}}
  model: {{type: dawid_skene}}
  unlabeled: pseudo
  pseudo: {{type: tabular, folds: 3, min_confidence: 0.6, train_min_confidence: 0.6}}
  label_errors: {{action: flag}}
balance:
  target: {{min_per_class: 900}}
  strategy: {{medium: smote, high: oversample}}
synthetic:
  generator: {{type: gaussian_copula, default_distribution: norm}}
  rows: 150
engine: {{type: local, partition_size: 64KiB}}
"""

NOTES = np.array(["Paid on time", "paid ON time, thanks", "late payment last month",
                  "missed one instalment", "new customer", "asked about rates"])


def loans(rows: int, seed: int) -> pd.DataFrame:
    """Loan applications whose risk follows the load (amount / income), with a third of the
    labels given and a few customers applying twice."""
    rng = np.random.default_rng(seed)
    income = rng.gamma(2.0, 25_000.0, rows).round(2) + 5_000
    load = rng.beta(2.0, 4.0, rows)
    risk = np.where(load > 0.45, "high", np.where(load > 0.25, "medium", "low"))
    late = (risk == "high") & (rng.random(rows) < 0.5)
    note = np.where(late, NOTES[rng.integers(2, 4, rows)], NOTES[rng.choice([0, 1, 4, 5], rows)])
    frame = pd.DataFrame({
        "customer": rng.permutation(rows * 2)[:rows] // 2,  # some customers twice
        "age": rng.integers(18, 80, rows),
        "income": income,
        "amount": (income * load).round(2),
        "region": rng.choice(["north", "south", "east", "west"], rows, p=[0.4, 0.3, 0.2, 0.1]),
        "note": note,
        "risk": np.where(rng.random(rows) < 0.35, risk, None),
    })
    return frame


def write_project_data(root: Path, rows: int = 4000, name: str = "loans") -> str:
    """The two source files under `root/recipes/data/` and the recipe `recipes/<name>.yaml`."""
    data = root / "recipes" / "data"
    data.mkdir(parents=True, exist_ok=True)
    frame = loans(rows, seed=5)
    cut = rows * 3 // 4
    frame.iloc[:cut].to_csv(data / "loans.csv", index=False)
    frame.iloc[cut:].to_json(data / "more_loans.jsonl", orient="records", lines=True)
    (root / "recipes" / f"{name}.yaml").write_text(RECIPE.format(name=name))
    return name
