"""Machine-learning efficacy: does the built train split train a better model than the raw one?

The same model is trained twice, on the raw train split (real rows before balancing) and on the
built one (what the dataset publishes), and tested on the real evaluation split (`test`, else
the first other split). Reported: balanced accuracy and the F1 score of the minority class (the
class with the fewest raw train rows). Tables use scikit-learn's histogram gradient boosting
with native categorical support; text uses TF-IDF and logistic regression.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from builder.columns import column_kind, numeric_values

#: Categorical columns with more values are left out (the model bins at most 255 categories).
MAX_CATEGORIES = 250
MODEL_NAMES = {"table": "HistGradientBoostingClassifier", "text": "TF-IDF + LogisticRegression"}


def evaluation_split(splits: list[str]) -> str | None:
    """The split models are tested on: `test` if there is one, else the first non-train split."""
    others = [s for s in splits if s != "train"]
    return "test" if "test" in others else (others[0] if others else None)


def _table_features(frames: list[pd.DataFrame], columns: list[str]) -> list[pd.DataFrame]:
    """Frames with categories shared across them, datetimes as numbers, booleans as 0/1."""
    out = [pd.DataFrame(index=f.index) for f in frames]
    for column in columns:
        kind = column_kind(frames[0][column])
        if kind == "categorical":
            strings = [f[column].astype("string") for f in frames]
            categories = sorted(set().union(*(s.dropna().unique() for s in strings)))
            for i, values in enumerate(strings):
                out[i][column] = pd.Categorical(values, categories=categories)
        else:
            for i, f in enumerate(frames):
                out[i][column] = numeric_values(f[column])
    return out


def too_many_categories(frames: list[pd.DataFrame], columns: list[str]) -> list[str]:
    """Categorical columns with more than `MAX_CATEGORIES` values over all `frames` together
    (generated rows with faked PII bring values the real rows lack)."""
    skipped = []
    for column in columns:
        if column_kind(frames[0][column]) != "categorical":
            continue
        values = pd.concat([f[column].astype("string") for f in frames], ignore_index=True)
        if values.nunique() > MAX_CATEGORIES:
            skipped.append(column)
    return skipped


def efficacy_model(kind: str, seed: int) -> Any:
    """The unfitted efficacy model: TF-IDF and logistic regression for a text task (`kind`
    "text"), else histogram gradient boosting (100 rounds, no early stopping)."""
    if kind == "text":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        return make_pipeline(TfidfVectorizer(min_df=2, sublinear_tf=True),
                             LogisticRegression(max_iter=1000, random_state=seed))
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(categorical_features="from_dtype", early_stopping=False,
                                          max_iter=100, random_state=seed)


def _scores(model: Any, X_train, y_train, X_test, y_test, minority: str) -> dict[str, float]:
    from sklearn.metrics import balanced_accuracy_score, f1_score
    from threadpoolctl import threadpool_limits

    # One thread: OpenMP threads spin and slow down ~8x when the cores are shared.
    with threadpool_limits(limits=1):
        model.fit(X_train, y_train)
        predicted = model.predict(X_test)
    return {
        "balanced_accuracy": round(float(balanced_accuracy_score(y_test, predicted)), 4),
        "minority_f1": round(float(f1_score(y_test, predicted, labels=[minority],
                                            average="macro", zero_division=0)), 4),
    }


def fit_model(train: pd.DataFrame, test: pd.DataFrame, label: str, columns: list[str],
              text: str | None, seed: int) -> tuple[Any, Any]:
    """The efficacy model fitted on `train` (one thread), and `test`'s inputs for it: what
    balance selection and generator selection score with (`model.predict(inputs)`)."""
    from threadpoolctl import threadpool_limits

    kind = "text" if text else "table"
    if kind == "text":
        inputs = [f[text].astype(str).fillna("") for f in (train, test)]
    else:
        skipped = too_many_categories([train, test], columns)
        inputs = _table_features([train, test], [c for c in columns if c not in skipped])
    model = efficacy_model(kind, seed)
    with threadpool_limits(limits=1):
        model.fit(inputs[0], train[label].astype(str).to_numpy())
    return model, inputs[1]


def predict(model: Any, inputs: Any, probabilities: bool = False) -> tuple[Any, Any]:
    """A fitted model's predicted classes (as text) and, if asked, class probabilities (in
    `model.classes_` order), on one thread."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        predicted = np.asarray(model.predict(inputs)).astype(str)
        proba = model.predict_proba(inputs) if probabilities else None
    return predicted, proba


def efficacy(raw: pd.DataFrame, built: pd.DataFrame, test: pd.DataFrame, label: str,
             columns: list[str], text: str | None, seed: int, split: str) -> dict[str, Any]:
    """Scores of the model trained on `raw` and on `built`, both tested on `test`."""
    minority = str(raw[label].value_counts().idxmin())
    kind = "text" if text else "table"
    skipped = too_many_categories([raw, built, test], columns)
    columns = [c for c in columns if c not in skipped]
    if kind == "text":
        inputs = [f[text].astype(str).fillna("") for f in (raw, built, test)]
    else:
        inputs = _table_features([raw, built, test], columns)
    y = [f[label].astype(str).to_numpy() for f in (raw, built, test)]
    result = {"split": split, "test_rows": len(test), "minority_class": minority,
              "model": MODEL_NAMES[kind], "skipped_columns": skipped}
    result["raw"] = _scores(efficacy_model(kind, seed), inputs[0], y[0], inputs[2], y[2],
                            minority)
    result["built"] = _scores(efficacy_model(kind, seed), inputs[1], y[1], inputs[2], y[2],
                              minority)
    result["raw"]["train_rows"] = len(raw)
    result["built"]["train_rows"] = len(built)
    raw_score = result["raw"]["balanced_accuracy"]
    result["balanced_accuracy_ratio"] = (round(result["built"]["balanced_accuracy"] / raw_score, 4)
                                         if raw_score else None)
    return result
