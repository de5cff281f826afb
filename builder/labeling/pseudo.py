"""Model-assisted labels: out-of-fold class probabilities from a scikit-learn model.

Rows are put in `folds` folds by a keyed hash of their `_id` (so a row keeps its fold when
other rows change). For each fold, a model is trained on the training rows of the other folds
and predicts every row of this fold: no row is ever predicted by a model that saw it. Text
tasks use TF-IDF (fitted on all texts, no labels) + logistic regression; tabular tasks use
histogram gradient boosting. scikit-learn is imported here only.

Two choices fit the training labels, which come mostly from labeling functions:

- Classes are weighted to balance (`class_weight="balanced"`): the mix of training labels
  reflects how many rows each class's functions fire on, not the data. Unweighted, the
  model learned the reviews example's lean towards `fresh` (56% of its training labels,
  49% of the gold ones) as a prior and predicted `fresh` for 93% of the unlabeled rows.
- Rows without a weak label (the rows to pseudo-label) are predicted by a model trained
  without the text features that never occur in such rows (`text_views`). Those features,
  the functions' trigger words mostly, cannot inform these rows' predictions, but in
  training they explain the weak labels by themselves and leave the words that do transfer
  with little weight. Rows with a weak label keep a model that sees every feature: confident
  learning compares their labels with it (without the trigger words it would flag many
  correct weak labels).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from builder.labeling.config import PseudoConfig


def fold_of(ids: pd.Series, folds: int, seed: int) -> np.ndarray:
    """Each row's fold from a keyed hash of its id."""
    key = hashlib.sha256(f"pseudo/{seed}".encode()).hexdigest()[:16]
    hashes = pd.util.hash_pandas_object(ids.astype("string[pyarrow]"), index=False,
                                        hash_key=key).to_numpy()
    return (hashes % np.uint64(folds)).astype(np.int64)


def model_kind(config: PseudoConfig, task) -> str:
    if config.type != "auto":
        return config.type
    return "text" if task.type == "text-classification" and task.text else "tabular"


def feature_columns(df: pd.DataFrame, config: PseudoConfig, excluded: set[str]) -> list[str]:
    """Tabular features: the configured ones, else every data column that is not bookkeeping,
    a label, or a gold column (anything starting with `_` is skipped)."""
    if config.features is not None:
        return list(config.features)
    return [c for c in df.columns if not str(c).startswith("_") and c not in excluded]


def tabular_matrix(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Columns HistGradientBoosting can take: numbers, booleans and low-cardinality categories."""
    out = {}
    for column in columns:
        series = df[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            out[column] = pd.to_numeric(series.astype("float64"), errors="coerce")
        elif pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.astype("int64").where(series.notna(), np.nan).astype("float64")
        else:
            categories = series.astype("string").astype("category")
            if len(categories.cat.categories) <= 250:
                out[column] = categories
    return pd.DataFrame(out, index=df.index)


def out_of_fold(df: pd.DataFrame, train: np.ndarray, targets: np.ndarray, n_classes: int,
                config: PseudoConfig, task, seed: int, excluded: set[str]) -> np.ndarray:
    """(rows, classes) out-of-fold probabilities; `train` marks the rows to learn from and
    `targets` their class indices. Rows of a fold without enough training data stay NaN."""
    folds = fold_of(df["_id"], config.folds, seed)
    kind = model_kind(config, task)
    if kind == "text":
        views = text_views(text_features(df[task.text], config), df)
    else:
        views = [(np.ones(len(df), dtype=bool),
                  tabular_matrix(df, feature_columns(df, config, excluded)))]
    probabilities = np.full((len(df), n_classes), np.nan)
    for fold in range(config.folds):
        learn = train & (folds != fold)
        if len(np.unique(targets[learn])) < 2:
            continue
        for rows, features in views:
            predict = rows & (folds == fold)
            if not predict.any():
                continue
            model = _text_model(seed) if kind == "text" else _tabular_model(seed)
            model.fit(_rows(features, learn), targets[learn])
            scores = model.predict_proba(_rows(features, predict))
            fold_probabilities = np.zeros((int(predict.sum()), n_classes))
            fold_probabilities[:, model.classes_] = scores
            probabilities[predict] = fold_probabilities
    return probabilities


def text_views(features, df: pd.DataFrame) -> list[tuple[np.ndarray, Any]]:
    """(rows, features) pairs that together cover every row once: rows without a weak label
    are predicted by a model that knows only the features occurring in such rows; the others
    (or all rows, when every row or none has a weak label) by one that knows all of them."""
    every = np.ones(features.shape[0], dtype=bool)
    if "weak_label" not in df.columns:
        return [(every, features)]
    unvoted = df["weak_label"].isna().to_numpy()
    keep = occurs_in(features, unvoted)
    if unvoted.all() or not unvoted.any() or keep.all():
        return [(every, features)]
    return [(~unvoted, features), (unvoted, features[:, keep])]


def _rows(features, mask: np.ndarray):
    return features[mask] if not isinstance(features, pd.DataFrame) else features.loc[mask]


def text_features(text: pd.Series, config: PseudoConfig):
    """TF-IDF of unigrams and bigrams, fitted on every text (no labels), as sparse rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 max_features=config.max_features, dtype=np.float32)
    return vectorizer.fit_transform(text.fillna("").astype(str).to_numpy()).tocsr()


def occurs_in(features, rows: np.ndarray) -> np.ndarray:
    """Which columns of a sparse feature matrix are nonzero in at least one of `rows`; all
    of them when no row is selected."""
    if not rows.any():
        return np.ones(features.shape[1], dtype=bool)
    return np.asarray((features[rows] != 0).sum(axis=0)).ravel() > 0


def _text_model(seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, max_iter=1000, class_weight="balanced", random_state=seed)


def _tabular_model(seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(categorical_features="from_dtype",
                                          class_weight="balanced", random_state=seed)
