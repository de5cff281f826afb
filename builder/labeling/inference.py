"""Model inference through the partition cache (`builder.cache`): the pseudo-labeler's fold
models and their out-of-fold predictions.

- **Predictions**: the fold models' probabilities of one partition (`assisted.predict_part`)
  are one entry, keyed by the label stage's code, the fitted models' fingerprint
  (`model_fingerprint`: their pickled bytes and what their encoder learned, so models fitted
  again on the same inputs have the same one) and a digest of the columns they read from the
  partition's rows (`rows_digest`). Rows appended that leave the models as they were (rows
  without a training label, with an encoder that learns nothing from the texts: sentence or
  image embeddings, or a tabular model whose columns keep their categories) are the only rows
  predicted; when the models changed, every partition is predicted again.
- **Fitted models**: the fold models are one entry too, keyed by their training sample (every
  column, whether each row trains and its target), the `labeling.pseudo` settings, the task,
  the seed and the encoder's identity (`fit_key`): a rebuild whose sample is the same (an edit
  of the acceptance or `label_errors` settings, a forced rerun) fits nothing.

What needs every partition is not cached here: the confident-learning class thresholds and the
acceptance threshold are sums over the partitions' predictions, recomputed from the cached
ones, and the out-of-fold scheme itself trains each fold's model on rows of every partition.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from builder.rows import ID

if TYPE_CHECKING:
    import pandas as pd

    from builder.context import Context
    from builder.labeling.pseudo import FoldModels

PREDICTIONS = "label: model inference"
FITTED = "label: fitted fold models"
#: The `labeling.pseudo` settings the fit reads besides its sample (which the others, such as
#: `sample_rows` and `train_min_confidence`, shape; the acceptance settings come after it).
FIT_SETTINGS = ("type", "encoder", "folds", "features", "max_features")


def frame_digest(df: pd.DataFrame) -> str:
    """xxh3-128 of a frame's column names, dtypes and values (a 64-bit hash per row)."""
    import pandas as pd

    from builder.cache import digest_bytes

    names = json.dumps([[str(c), str(df[c].dtype)] for c in df.columns]).encode()
    hashes = pd.util.hash_pandas_object(df, index=False, categorize=False).to_numpy()
    return digest_bytes(names + b"\0" + hashes.astype("<u8").tobytes())


def model_fingerprint(models: FoldModels) -> str:
    """What decides the predictions of freshly fitted `models`: their fold models' pickled
    bytes (models fitted again on the same inputs pickle to the same bytes), the rows'
    features (the text encoder's fingerprint, or the tabular columns and their categories)
    and how rows are put in folds."""
    from builder.cache import digest_bytes, key

    if models.kind in ("text", "image"):
        encoder = models.encoder.fingerprint()
    else:
        encoder = digest_bytes(pickle.dumps(models.encoder, protocol=5))
    keep = None if models.keep is None else digest_bytes(np.packbits(models.keep).tobytes())
    fitted = digest_bytes(pickle.dumps((models.models, models.narrow), protocol=5))
    return key("fold models", models.kind, models.text, models.folds, models.seed,
               models.n_classes, encoder, keep, fitted)


def rows_digest(df: pd.DataFrame, models: FoldModels) -> str:
    """A digest of what `models` read from rows `df`: ids (their folds), the text, image or
    tabular columns, and which rows have a weak label where that picks the model."""
    columns = [models.text] if models.kind in ("text", "image") else list(models.encoder)
    frame = df[[ID, *columns]]
    if models.keep is not None and "weak_label" in df.columns:
        frame = frame.assign(__unvoted=df["weak_label"].isna().to_numpy())
    return frame_digest(frame)


def predictions(ctx: Context, df: pd.DataFrame, models: FoldModels,
                fingerprint: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, unvoted) of rows `df`: `models.predict` of every row, and as if no row
    had a weak label (the same array when the models make no difference); from the cache when
    it holds them for these rows and models (`fingerprint`, None: not cached)."""
    cache = ctx.cache
    entry_key = None
    if cache is not None and not cache.off and fingerprint is not None:
        from builder.cache import key

        entry_key = key(ctx.code, "inference", fingerprint, rows_digest(df, models))
        entry = cache.get(entry_key)
        if entry is not None and _fits(entry.value, len(df), models.n_classes):
            probabilities, unvoted = entry.value
            return probabilities, probabilities if unvoted is None else unvoted
    features = models.features(df)
    probabilities = models.predict(df, features=features)
    unvoted = None
    if models.keep is not None:
        unvoted = models.predict(df, as_unvoted=True, features=features)
    if entry_key is not None:
        cache.put(entry_key, (probabilities, unvoted), kind=PREDICTIONS)
    return probabilities, probabilities if unvoted is None else unvoted


def fit_key(ctx: Context, sample: pd.DataFrame, encoder: Any) -> str:
    """The fitted models' cache key: the sample they are fitted on (with its `__train` and
    `__target` columns; its columns are those the models read), the settings (`FIT_SETTINGS`)
    and code that fit them, the task, the seed and the encoder's identity.

    An encoder that learns nothing from the texts (embeddings) leaves the models depending on
    the sample's training rows only (and on which folds hold a row): rows appended without a
    training label then keep the key. TF-IDF's vocabulary and the tabular columns'
    categories come from every row of the sample."""
    from builder.cache import key
    from builder.labeling.config import PseudoConfig
    from builder.labeling.pseudo import fold_of

    recipe = ctx.recipe
    config = dataclasses.asdict(recipe.labeling.pseudo or PseudoConfig())
    fitting = {name: config[name] for name in FIT_SETTINGS}
    seed = ctx.step_seed("label", "pseudo")
    rows, folds = sample, None
    if encoder is not None and not (encoder.learns or encoder.sparse) and len(sample):
        rows = sample[sample["__train"].to_numpy(dtype=bool)]
        folds = np.unique(fold_of(sample[ID], config["folds"], seed)).tolist()
    return key(ctx.code, "fit", frame_digest(rows), folds, fitting,
               dataclasses.asdict(recipe.task), seed,
               None if encoder is None else encoder.identity())


def fitted_models(ctx: Context, sample: pd.DataFrame, encoder: Any,
                  fit: Callable[[], FoldModels]) -> tuple[FoldModels, str | None]:
    """(models, fingerprint): `fit()`'s models (fitting `encoder`, None for tabular models)
    and their `model_fingerprint`, or the models fitted earlier on the same sample (`fit_key`),
    `encoder` given what it learned then, and the fingerprint they had when fitted (a model
    read back may pickle to other bytes: scikit-learn's column transformers do). No cache:
    no fingerprint. The entry holds what the encoder learned, not the encoder, whose paths
    are this project's."""
    import copy

    from builder.labeling.pseudo import FoldModels

    cache = ctx.cache
    if cache is None or cache.off:
        return fit(), None
    entry_key = fit_key(ctx, sample, encoder)
    entry = cache.get(entry_key)
    value = entry.value if entry is not None else None
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], FoldModels):
        models, learned, fingerprint = value
        if encoder is not None:
            encoder.load_learned(learned)
            models.encoder = encoder
        return models, fingerprint
    models = fit()
    fingerprint = model_fingerprint(models)
    stored, learned = models, None
    if encoder is not None:
        stored = copy.copy(models)
        stored.encoder, learned = None, encoder.learned()
    cache.put(entry_key, (stored, learned, fingerprint), kind=FITTED)
    return models, fingerprint


def _fits(value: object, rows: int, classes: int) -> bool:
    if not (isinstance(value, tuple) and len(value) == 2):
        return False
    return all(isinstance(a, np.ndarray) and a.shape == (rows, classes)
               for a in value if a is not None) and isinstance(value[0], np.ndarray)
