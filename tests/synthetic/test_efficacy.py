"""Efficacy: the same model trained on the raw and the built train split, tested on real rows."""

from __future__ import annotations

import pandas as pd

from builder.synthetic.efficacy import efficacy, evaluation_split
from tests.conftest import REPO


def test_the_evaluation_split() -> None:
    assert evaluation_split(["train", "validation", "test"]) == "test"
    assert evaluation_split(["train", "holdout"]) == "holdout"
    assert evaluation_split(["train"]) is None


def test_efficacy_on_credit_rows() -> None:
    credit = pd.read_csv(REPO / "recipes/data/credit_data.csv")
    credit["Home"] = credit["Home"].astype("category")
    train, test = credit.iloc[:3500], credit.iloc[3500:]
    noisy = train.copy()
    noisy["Status"] = noisy["Status"].sample(frac=1, random_state=0).to_numpy()  # labels broken
    columns = [c for c in credit.columns if c != "Status"]
    result = efficacy(train, noisy, test, "Status", columns, None, seed=1, split="test")
    assert result["minority_class"] == "bad" and result["test_rows"] == 954
    assert result["raw"]["balanced_accuracy"] > 0.7
    assert result["built"]["balanced_accuracy"] < 0.6
    assert result["balanced_accuracy_ratio"] < 0.85
    assert efficacy(train, noisy, test, "Status", columns, None, seed=1, split="test") == result


def test_efficacy_on_text() -> None:
    reviews = pd.read_csv(REPO / "recipes/data/rotten_tomatoes.csv.bz2")
    train, test = reviews.iloc[:4000], reviews.iloc[4000:]
    result = efficacy(train, train, test, "category", [], "text", seed=0, split="test")
    assert result["model"] == "TF-IDF + LogisticRegression" and result["minority_class"] == "plot"
    assert result["raw"] == {**result["built"], "train_rows": 4000}
    assert result["raw"]["balanced_accuracy"] > 0.5
