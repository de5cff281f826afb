"""Model inference through the partition cache (issue 19, item 1): the pseudo-labeler's
predictions of a partition are reused while the fitted models and the partition's rows are the
same, its fitted models while their training sample is; a rebuild writes a clean build's
bytes, and a changed model predicts every partition again."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from builder.pipeline import runner
from tests.pipeline.test_incremental import outputs

RECIPE = """
defaults: [base, _self_]
name: inc
seed: 5
task: {type: tabular-classification, label: label, classes: [a, b]}
sources:
  log: {type: jsonl, path: "logs/*.jsonl"}
labeling:
  unlabeled: pseudo
  pseudo: {type: tabular, features: [x, y, color], folds: 3, target_precision: 0.8}
  label_errors: {action: flag}
split:
  fractions: {train: 0.8, validation: 0.1, test: 0.1}
  stratify: false
engine: {type: local, partition_size: 64KiB, cache: {path: cache}}
"""


def write_log(path: Path, start: int, rows: int, labeled: float) -> None:
    """Append `rows` records (ids from `start`), a fraction `labeled` of them with a label."""
    rng = random.Random(start)
    lines = []
    for i in range(start, start + rows):
        x, y = rng.gauss(0, 1), rng.gauss(0, 1)
        color = rng.choice(["red", "green", "blue"])
        record = {"id": f"r{i}", "x": round(x, 4), "y": round(y, 4), "color": color,
                  "note": "padding " * rng.randint(2, 8)}
        if rng.random() < labeled:
            noisy = x + y + (0.5 if color == "red" else 0.0) + rng.gauss(0, 0.5)
            record["label"] = "a" if noisy > 0 else "b"
        lines.append(json.dumps(record))
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")


class Counts:
    """Fold models fitted, and partitions and rows predicted by them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        import builder.labeling.pseudo as pseudo

        self.fits = self.partitions = self.rows = 0
        fit_folds, predict = pseudo.fit_folds, pseudo.FoldModels.predict

        def counted_fit(*args, **kwargs):
            self.fits += 1
            return fit_folds(*args, **kwargs)

        def counted_predict(models, df, as_unvoted=False, features=None):
            if not as_unvoted:
                self.partitions += 1
                self.rows += len(df)
            return predict(models, df, as_unvoted, features)

        monkeypatch.setattr(pseudo, "fit_folds", counted_fit)
        monkeypatch.setattr(pseudo.FoldModels, "predict", counted_predict)

    def reset(self) -> tuple[int, int, int]:
        done = (self.fits, self.partitions, self.rows)
        self.fits = self.partitions = self.rows = 0
        return done


def build(root: Path, *overrides: str) -> dict[str, str]:
    runner.build("inc", root, overrides, progress=False)
    return outputs(root)


def clean_build(root: Path, *overrides: str) -> dict[str, str]:
    """From scratch, no cache (the cache kept aside for the next build)."""
    shutil.move(root / "cache", root / "kept")
    shutil.rmtree(root / "data")
    try:
        return build(root, *overrides, "engine.cache.max_size=0")
    finally:
        shutil.move(root / "kept", root / "cache")


@pytest.fixture
def logged(project, monkeypatch):
    """A project with the recipe and a 6000-record log built once: (root, counts, rows)."""
    root = project.root
    project.recipe("inc", RECIPE)
    (root / "logs").mkdir()
    write_log(root / "logs" / "a.jsonl", 0, 6000, labeled=0.4)
    counts = Counts(monkeypatch)
    build(root)
    fits, partitions, rows = counts.reset()
    assert fits == 1 and partitions >= 6 and rows == 6000
    return root, counts


def label_metrics(root: Path) -> dict:
    return json.loads((root / "data" / "inc" / "metrics" / "label.json").read_text())


@pytest.mark.slow
def test_rows_appended_without_labels_are_the_only_rows_predicted(logged) -> None:
    """New unlabeled records leave the fold models' training rows as they were: the models
    are fitted again (their sample holds the new rows), come out the same, and predict only
    the partitions that changed; the bytes are a clean build's."""
    root, counts = logged
    write_log(root / "logs" / "a.jsonl", 6000, 60, labeled=0.0)
    incremental = build(root)
    fits, partitions, rows = counts.reset()
    assert fits == 1 and 1 <= partitions <= 2 and 60 <= rows < 6060 / 3
    assert label_metrics(root)["pseudo"]["acceptance"]["rows"] > 0
    assert incremental == clean_build(root)
    assert counts.reset()[2] == 6060  # the clean build predicts every row


@pytest.mark.slow
def test_a_changed_model_predicts_every_partition_again(logged) -> None:
    """Rows appended with labels train the models: they change, and every partition is
    predicted again (the cached predictions of the old models are not used)."""
    root, counts = logged
    write_log(root / "logs" / "a.jsonl", 6000, 60, labeled=1.0)
    incremental = build(root)
    fits, _, rows = counts.reset()
    assert fits == 1 and rows == 6060
    assert incremental == clean_build(root)


@pytest.mark.slow
def test_an_acceptance_edit_neither_fits_nor_predicts(logged) -> None:
    """A new acceptance target leaves the sample and the models as they were: the models and
    every partition's predictions come from the cache, and the pseudo-labels follow the new
    threshold exactly as a clean build's."""
    root, counts = logged
    before = label_metrics(root)["pseudo"]["acceptance"]
    incremental = build(root, "labeling.pseudo.target_precision=0.95")
    assert counts.reset() == (0, 0, 0)
    after = label_metrics(root)["pseudo"]["acceptance"]
    assert after["target_precision"] == 0.95 and after != before
    assert incremental == clean_build(root, "labeling.pseudo.target_precision=0.95")


def test_model_fingerprint_follows_the_fitted_models() -> None:
    """Two fits on the same inputs have one fingerprint (pickled bytes of the models, the
    TF-IDF vocabulary and weights, not the vectorizer's object ids); other training targets
    or another vocabulary give another."""
    import numpy as np
    import pandas as pd

    from builder.labeling.config import PseudoConfig
    from builder.labeling.inference import model_fingerprint, rows_digest
    from builder.recipe.schema import TaskConfig

    rng = random.Random(1)
    words = ["good", "bad", "fine", "awful", "great", "dull", "fun", "flat"]
    texts = [" ".join(rng.choice(words) for _ in range(6)) for _ in range(300)]
    df = pd.DataFrame({"_id": [f"s/{i}" for i in range(300)], "text": texts})
    targets = np.array([int("good" in t) for t in texts])
    train = np.ones(300, dtype=bool)
    task = TaskConfig(type="text-classification", text="text", classes=["n", "p"])
    config = PseudoConfig(type="text", folds=3)

    def fingerprint(frame, labels) -> str:
        from builder.labeling.pseudo import fit_folds

        return model_fingerprint(fit_folds(frame, train, labels, 2, config, task, 7, set()))

    first = fingerprint(df, targets)
    assert fingerprint(df, targets) == first
    assert fingerprint(df, 1 - targets) != first
    other = df.assign(text=[t + " extra words" for t in texts])
    assert fingerprint(other, targets) != first
    from builder.labeling.pseudo import fit_folds

    models = fit_folds(df, train, targets, 2, config, task, 7, set())
    assert rows_digest(df, models) == rows_digest(df.copy(), models)
    assert rows_digest(other, models) != rows_digest(df, models)


@pytest.mark.slow
def test_tfidf_models_come_back_with_their_vocabulary(project, monkeypatch) -> None:
    """Text models on TF-IDF features (the default encoder): an acceptance edit restores the
    fitted models with the vocabulary their encoder learned (an entry holds it, not the
    encoder): they predict nothing, or, their predictions' entries removed, predict every
    partition with that vocabulary, and write a clean build's bytes."""
    from tests.pipeline.test_incremental import RECIPE as TEXT, write_log as write_texts

    root = project.root
    project.recipe("inc", TEXT.replace("unlabeled: keep", "unlabeled: pseudo\n  pseudo: "
                                       "{type: text, folds: 3, train_min_confidence: 0.5}"))
    (root / "logs").mkdir()
    write_texts(root / "logs" / "a.jsonl", 0, 3000)
    counts = Counts(monkeypatch)
    build(root)
    fits, partitions, _ = counts.reset()
    assert fits == 1 and partitions >= 3
    incremental = build(root, "labeling.pseudo.target_precision=0.9")
    assert counts.reset() == (0, 0, 0)
    for meta in (root / "cache").glob("*/*/meta.json"):
        if json.loads(meta.read_text())["kind"] == "label: model inference":
            shutil.rmtree(meta.parent)
    assert build(root, "labeling.pseudo.target_precision=0.95") != incremental
    assert counts.reset()[:2] == (0, partitions)
    assert build(root, "labeling.pseudo.target_precision=0.9") == incremental
    assert counts.reset() == (0, 0, 0)
    assert incremental == clean_build(root, "labeling.pseudo.target_precision=0.9")


def test_the_fit_key_of_embeddings_follows_the_training_rows_only() -> None:
    """Models on embeddings are fitted on the sample's training rows only: unlabeled rows
    added to the sample keep their key, a new training row changes it; TF-IDF learns its
    vocabulary from every row, so any new row changes its key."""
    from types import SimpleNamespace

    import pandas as pd

    from builder.context import derive_seed
    from builder.labeling.config import PseudoConfig
    from builder.labeling.encoders.base import make_encoder
    from builder.labeling.inference import fit_key
    from builder.recipe.schema import TaskConfig

    ctx = SimpleNamespace(code="code", recipe=SimpleNamespace(
        labeling=SimpleNamespace(pseudo=PseudoConfig(type="text")),
        task=TaskConfig(type="text-classification", text="text", classes=["n", "p"])),
        step_seed=lambda *names: derive_seed(1, *names))

    def sample(rows: int, trained: int) -> pd.DataFrame:
        return pd.DataFrame({"_id": [f"s/{i}" for i in range(rows)],
                             "text": [f"text {i}" for i in range(rows)],
                             "__train": [i < trained for i in range(rows)],
                             "__target": [i % 2 for i in range(rows)]})

    class Embeddings:
        learns = sparse = False

        def identity(self) -> str:
            return "embeddings"

    dense, tfidf = Embeddings(), make_encoder("tfidf", root=Path("."))
    assert fit_key(ctx, sample(100, 40), dense) == fit_key(ctx, sample(120, 40), dense)
    assert fit_key(ctx, sample(100, 40), dense) != fit_key(ctx, sample(120, 41), dense)
    assert fit_key(ctx, sample(100, 40), tfidf) != fit_key(ctx, sample(120, 40), tfidf)
