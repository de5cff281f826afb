"""Model-assisted labels: out-of-fold class probabilities from a scikit-learn model.

Rows are put in `folds` folds by a keyed hash of their `_id` (so a row keeps its fold when
other rows change). For each fold, a model is trained on the training rows of the other folds
and predicts every row of this fold: no row is ever predicted by a model that saw it. Text
tasks use logistic regression on the features of the recipe's encoder
(`labeling.pseudo.encoder`, `builder.labeling.encoders`: TF-IDF fitted on all texts, no labels,
or sentence embeddings); tabular tasks use histogram gradient boosting. The models may be fitted on a sample of the rows (`fit_folds`)
and predict any rows later, a partition at a time (`FoldModels.predict`). scikit-learn is
imported here only.

Two choices fit the training labels, which come mostly from labeling functions:

- Classes are weighted to balance (`class_weight="balanced"`): the mix of training labels
  reflects how many rows each class's functions fire on, not the data. Unweighted, the
  model learned the reviews example's lean towards `fresh` (56% of its training labels,
  49% of the gold ones) as a prior and predicted `fresh` for 93% of the unlabeled rows.
- With TF-IDF (sparse word features), rows without a weak label (the rows to pseudo-label)
  are predicted by a model trained without the text features that never occur in such rows (`rule_free_columns`). Those features,
  the functions' trigger words mostly, cannot inform these rows' predictions, but in
  training they explain the weak labels by themselves and leave the words that do transfer
  with little weight. Rows with a weak label keep a model that sees every feature: confident
  learning compares their labels with it (without the trigger words it would flag many
  correct weak labels).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from builder.columns import seeded_hashes
from builder.labeling.config import PseudoConfig
from builder.labeling.encoders.base import Encoder, make_encoder


def fold_of(ids: pd.Series, folds: int, seed: int) -> np.ndarray:
    """Each row's fold from a keyed hash of its id."""
    return (seeded_hashes(ids, seed, "pseudo") % np.uint64(folds)).astype(np.int64)


def model_kind(config: PseudoConfig, task) -> str:
    if config.type != "auto":
        return config.type
    if task.type == "image-classification":  # logistic regression on image embeddings
        return "image"
    return "text" if task.type == "text-classification" and task.text else "tabular"


def inputs_of(df: pd.DataFrame, kind: str, column: str) -> np.ndarray:
    """What an encoder reads: a text column's strings, or an image column's encoded images."""
    return df[column].to_numpy(dtype=object) if kind == "image" else texts_of(df, column)


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
    return fit_folds(df, train, targets, n_classes, config, task, seed, excluded).predict(df)


class FoldModels:
    """One model per fold, each trained without that fold's rows, and how rows become their
    features (the fitted text encoder, or each tabular column's kind and categories):
    `predict` gives any rows (a partition) the probabilities of the model of their fold.

    For text with `narrow` models, rows without a weak label get those: trained on the
    feature columns `keep` only (see `rule_free_columns`)."""

    def __init__(self, kind: str, text: str | None, encoder, models: dict, folds: int, seed: int,
                 n_classes: int, keep: np.ndarray | None = None, narrow: dict | None = None):
        self.kind, self.text, self.encoder, self.models = kind, text, encoder, models
        self.folds, self.seed, self.n_classes = folds, seed, n_classes
        self.keep, self.narrow = keep, narrow or {}

    def features(self, df: pd.DataFrame):
        if self.kind in ("text", "image"):
            return self.encoder.transform(inputs_of(df, self.kind, self.text))
        return tabular_features(df, self.encoder)

    def views(self, df: pd.DataFrame, as_unvoted: bool = False
              ) -> list[tuple[np.ndarray, np.ndarray | None, dict]]:
        """(rows, feature columns or None for all, models per fold): every row once.
        `as_unvoted`: every row as if it had no weak label."""
        every = np.ones(len(df), dtype=bool)
        if self.keep is None or "weak_label" not in df.columns:
            return [(every, None, self.models)]
        unvoted = every if as_unvoted else df["weak_label"].isna().to_numpy()
        return [(~unvoted, None, self.models), (unvoted, self.keep, self.narrow)]

    def predict(self, df: pd.DataFrame, as_unvoted: bool = False,
                features=None) -> np.ndarray:
        """(rows, classes) out-of-fold probabilities (NaN where a fold has no model).
        `as_unvoted`: predicted by the models of rows without a weak label, which pseudo-labels
        come from (to estimate their precision on rows with a label); `features`: the rows'
        features when already computed."""
        folds = fold_of(df["_id"], self.folds, self.seed)
        features = self.features(df) if features is None else features
        probabilities = np.full((len(df), self.n_classes), np.nan)
        for rows, columns, models in self.views(df, as_unvoted):
            for fold, model in models.items():
                predict = rows & (folds == fold)
                if not predict.any():
                    continue
                chosen = _rows(features, predict)
                scores = model.predict_proba(chosen if columns is None else chosen[:, columns])
                fold_probabilities = np.zeros((int(predict.sum()), self.n_classes))
                fold_probabilities[:, model.classes_] = scores
                probabilities[predict] = fold_probabilities
        return probabilities


def tabular_features(df: pd.DataFrame, kinds: dict) -> pd.DataFrame:
    """`tabular_matrix`'s columns for any rows, with the categories found when fitting."""
    numbers = [c for c, k in kinds.items() if not isinstance(k, pd.CategoricalDtype)]
    matrix = tabular_matrix(df, numbers)
    for column, kind in kinds.items():
        if isinstance(kind, pd.CategoricalDtype):
            matrix[column] = df[column].astype("string").astype(kind)
    return matrix[list(kinds)]


def texts_of(df: pd.DataFrame, column: str) -> np.ndarray:
    """A text column as an array of strings (missing values as empty strings)."""
    return df[column].fillna("").astype(str).to_numpy()


def fit_folds(df: pd.DataFrame, train: np.ndarray, targets: np.ndarray, n_classes: int,
              config: PseudoConfig, task, seed: int, excluded: set[str],
              encoder: Encoder | None = None) -> FoldModels:
    """Fit the fold models on `df` (all rows, or a sample of them): the text `encoder` on its
    texts (TF-IDF when None), each fold's model on the `train` rows of the other folds (for
    sparse text features, a narrow model too when `rule_free_columns` finds rule-only
    features)."""
    folds = fold_of(df["_id"], config.folds, seed)
    kind = model_kind(config, task)
    keep = None
    column = task.image if kind == "image" else task.text
    if kind in ("text", "image"):
        if encoder is None:
            encoder = make_encoder("tfidf", root=Path("."), max_features=config.max_features)
        features = encoder.fit_transform(inputs_of(df, kind, column))
        keep = rule_free_columns(features, df) if encoder.sparse else None
    else:
        features = tabular_matrix(df, feature_columns(df, config, excluded))
        encoder = {c: features[c].dtype if isinstance(features[c].dtype, pd.CategoricalDtype)
                   else "number" for c in features.columns}
    models, narrow = {}, {}
    for fold in range(config.folds):
        learn = train & (folds != fold)
        if not (folds == fold).any() or len(np.unique(targets[learn])) < 2:
            continue
        model = _text_model(seed) if kind in ("text", "image") else _tabular_model(seed)
        models[fold] = model.fit(_rows(features, learn), targets[learn])
        if keep is not None:
            narrow[fold] = _text_model(seed).fit(_rows(features, learn)[:, keep], targets[learn])
    return FoldModels(kind, column, encoder, models, config.folds, seed, n_classes, keep,
                      narrow)


def rule_free_columns(features, df: pd.DataFrame) -> np.ndarray | None:
    """The feature columns that occur in rows without a weak label, for the models that predict
    such rows; None when all columns do, or when every row or none has a weak label."""
    if "weak_label" not in df.columns:
        return None
    unvoted = df["weak_label"].isna().to_numpy()
    if unvoted.all() or not unvoted.any():
        return None
    keep = occurs_in(features, unvoted)
    return None if keep.all() else keep


def _rows(features, mask: np.ndarray):
    return features[mask] if not isinstance(features, pd.DataFrame) else features.loc[mask]


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


#: The acceptance threshold is a multiple of 1 / CONFIDENCE_BINS: partitions add up their
#: counts per bin, so the threshold does not depend on how the rows were cut.
CONFIDENCE_BINS = 1000


def confidence_bins(confidence: np.ndarray) -> np.ndarray:
    """Each confidence's bin, 0 to CONFIDENCE_BINS (a confidence of 1); -1 where NaN."""
    scaled = np.floor(np.nan_to_num(confidence, nan=-1.0) * CONFIDENCE_BINS)
    return np.clip(scaled, -1, CONFIDENCE_BINS).astype(np.int64)


def calibration_counts(confidence: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """(2, CONFIDENCE_BINS + 1): rows and correct predictions per confidence bin."""
    bins = confidence_bins(confidence)
    known = bins >= 0
    size = CONFIDENCE_BINS + 1
    return np.stack([np.bincount(bins[known], minlength=size),
                     np.bincount(bins[known], weights=correct[known], minlength=size)
                     .astype(np.int64)])


def precision_threshold(counts: np.ndarray, target: float, fixed: float | None = None) -> dict:
    """The lowest confidence threshold whose precision on the counted rows (those at or above
    it) is at least `target`: `threshold` (None when no threshold reaches it),
    `estimated_precision`, `rows` counted and `rows_above` the threshold. With `fixed` (a
    recipe's `min_confidence`), that threshold and its estimated precision."""
    rows = counts[0][::-1].cumsum()[::-1]  # rows at or above each bin
    right = counts[1][::-1].cumsum()[::-1]
    precision = np.divide(right, rows, out=np.zeros(len(rows)), where=rows > 0)
    reached = np.flatnonzero((rows > 0) & (precision >= target - 1e-12))
    if fixed is not None:
        reached = np.array([min(round(fixed * CONFIDENCE_BINS), CONFIDENCE_BINS)])
    result = {"target_precision": None if fixed is not None else target,
              "rows": int(rows[0]), "threshold": None, "estimated_precision": None,
              "rows_above": 0}
    if len(reached):
        at = int(reached[0])
        result.update(threshold=at / CONFIDENCE_BINS,
                      estimated_precision=round(float(precision[at]), 4) if rows[at] else None,
                      rows_above=int(rows[at]))
    return result


def accepted_by(confidence: np.ndarray, threshold: float | None) -> np.ndarray:
    """Whether each confidence reaches `threshold` (a multiple of 1 / CONFIDENCE_BINS); none
    does when it is None."""
    if threshold is None:
        return np.zeros(len(confidence), dtype=bool)
    return confidence_bins(confidence) >= round(threshold * CONFIDENCE_BINS)
