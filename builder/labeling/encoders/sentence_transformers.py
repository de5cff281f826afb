"""`encoder: {type: sentence_transformers, model, batch_size, device}`: sentence embeddings.

`model` is a Hugging Face Hub id (loaded through the Hugging Face cache, downloaded into it the
first time, as `SentenceTransformer(id)` does) or the path of a local copy (absolute, or
relative to the project root; loaded with `local_files_only`, never reaching a network).
`device: auto` uses a GPU when torch sees one. Embeddings are cached under
`<project>/.cache/embeddings/` by model (a fingerprint of its files, or of a Hub snapshot) and text hash
(`builder.labeling.encoders.cache`): a rebuild encodes only texts it has not seen.

sentence-transformers and torch are imported inside the functions that need them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from builder.errors import RecipeError
from builder.labeling.encoders.base import ENCODERS, KEY, Encoder, EncoderConfig, Problems

if TYPE_CHECKING:
    import numpy as np

    from builder.recipe.schema import CheckContext

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
INSTALL_HINT = ("Install the `embeddings` extra: pip install -e '.[embeddings]' (`make setup` "
                "does), or use `encoder: tfidf`.")
#: Texts encoded per step of the progress bar (a multiple of the batch size).
BATCHES_PER_STEP = 16


@dataclass(kw_only=True)
class SentenceTransformersConfig(EncoderConfig):
    """A sentence-transformers model: a Hub id or a local folder, the texts encoded per batch
    and where (`auto`: a GPU when torch sees one, else the CPU)."""

    model: str = DEFAULT_MODEL
    batch_size: int = 64
    device: Literal["auto", "cpu", "cuda"] = "auto"

    def check(self, ctx: CheckContext) -> Problems:
        if importlib.util.find_spec("sentence_transformers") is None:
            yield "type", f"needs the sentence-transformers package, which is not installed. {INSTALL_HINT}"
        if self.batch_size < 1:
            yield "batch_size", f"found {self.batch_size}, expected a positive integer."
        path = local_path(self.model, ctx.root)
        if path is not None:
            problem = folder_problem(path, self.model)
            if problem:
                yield "model", problem

    def input_files(self, root: Path) -> list[Path]:
        """A local model folder's files (a Hub id: none, its snapshot is named by commit)."""
        path = local_path(self.model, root)
        if path is None or not path.is_dir():
            return []
        return sorted(p for p in path.rglob("*") if p.is_file())


def local_path(model: str, root: Path) -> Path | None:
    """The folder `model` names when it is a path (absolute, `./`, `~`, or existing under the
    project root); None when it reads as a Hub id."""
    expanded = Path(os.path.expanduser(model))
    if expanded.is_absolute():
        return expanded
    if model.startswith((".", "~")) or (root / model).exists() or model.count("/") > 1:
        return root / expanded
    return None


def folder_problem(path: Path, model: str) -> str | None:
    """Why the folder at `path` is no sentence-transformers model, or None."""
    if not path.is_dir():
        return (f"found '{model}', but there is no folder {path}; expected a Hub id such as "
                f"'{DEFAULT_MODEL}' or the path of a sentence-transformers model folder.")
    if not (path / "modules.json").is_file():
        return (f"found '{model}', but {path} is not a sentence-transformers model (it has no "
                "modules.json); expected a folder saved by SentenceTransformer.save() or "
                "downloaded from the Hub.")
    return None


def fingerprint_folder(path: Path) -> str:
    """sha256 of a model folder's file names and contents (symbolic links followed)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


@ENCODERS.register("sentence_transformers")
class SentenceTransformersEncoder(Encoder):
    """Sentence embeddings (float32, one dense row per text), cached by model and text."""

    Config = SentenceTransformersConfig

    def __init__(self, config: SentenceTransformersConfig, **kwargs: Any):
        super().__init__(config, **kwargs)
        self._model = None
        self._folder: Path | None = None
        self._fingerprint: str | None = None
        #: Texts encoded (not read from the cache) by this encoder, for benchmarks and tests.
        self.encoded = 0
        self.cache_root = self.root / ".cache" / "embeddings"

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "_model": None}

    def fit_transform(self, texts: np.ndarray) -> np.ndarray:
        return self.transform(texts)

    def transform(self, texts: np.ndarray) -> np.ndarray:
        """Each text's embedding: from the cache, or encoded (unique unseen texts only) and
        cached."""
        import numpy as np
        import pandas as pd

        from builder.columns import text_hashes
        from builder.labeling.encoders.cache import EmbeddingCache, model_key

        folder, fingerprint = self.resolve()
        cache = EmbeddingCache(self.cache_root / model_key(fingerprint))
        keys = text_hashes(pd.Series(texts, dtype="string[pyarrow]").fillna(""))
        unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        found, vectors = cache.lookup(unique)
        if not found.all():
            missing = np.flatnonzero(~found)
            fresh = self.encode(np.asarray(texts, dtype=object)[first[missing]])
            cache.add(unique[missing], fresh)
            if vectors is None:
                vectors = np.empty((len(unique), fresh.shape[1]), dtype=np.float32)
            vectors[missing] = fresh
        return vectors[inverse.ravel()]

    def identity(self) -> str:
        """The type and the model's fingerprint (its files, or its Hub snapshot): the features
        are the cached embeddings of that model (`batch_size` and `device` do not pick them)."""
        from builder.cache import key

        return key(self.type_name, self.resolve()[1])

    def resolve(self) -> tuple[Path, str]:
        """The model's folder and fingerprint (a local folder's content hash, a Hub
        snapshot's commit); a `RecipeError` when there is no such model."""
        if self._folder is None:
            path = local_path(self.config.model, self.root)
            if path is not None:
                problem = folder_problem(path, self.config.model)
                if problem:
                    raise RecipeError(self.file, f"{KEY}.model", problem)
                self._folder, self._fingerprint = path, fingerprint_folder(path)
            else:
                self._folder = hub_snapshot(self.config.model, self.file)
                problem = folder_problem(self._folder, self.config.model)
                if problem:
                    raise RecipeError(self.file, f"{KEY}.model", problem)
                self._fingerprint = hashlib.sha256(
                    f"{self.config.model}@{self._folder.name}".encode()).hexdigest()
        return self._folder, self._fingerprint

    def model(self):
        """The loaded `SentenceTransformer` (loaded once, offline from its folder)."""
        if self._model is None:
            sentence_transformers = import_sentence_transformers(self.file)
            folder, _ = self.resolve()
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # its "Loading weights" bar on stderr
            try:
                self._model = sentence_transformers.SentenceTransformer(
                    str(folder), device=device_of(self.config.device), local_files_only=True)
            except (OSError, ValueError, KeyError) as error:
                raise RecipeError(self.file, f"{KEY}.model", (
                    f"found '{self.config.model}', which sentence-transformers cannot load from "
                    f"{folder}: {error}"), "Expected a sentence-transformers model.") from error
        return self._model

    def encode(self, texts: np.ndarray) -> np.ndarray:
        """Embeddings of `texts`, longest first in steps of a few batches (with a progress
        bar): the batches pad as little as one `SentenceTransformer.encode` call's."""
        import numpy as np

        model = self.model()
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        order = np.argsort(-lengths, kind="stable")
        step = self.config.batch_size * BATCHES_PER_STEP
        steps = [order[i: i + step] for i in range(0, len(order), step)]
        out = None
        for rows in self._progress(steps, len(texts)):
            vectors = model.encode(list(texts[rows]), batch_size=self.config.batch_size,
                                   convert_to_numpy=True, show_progress_bar=False)
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        self.encoded += len(texts)
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def _progress(self, steps: list, count: int):
        label = f"encode {count:,} texts"
        if self.track is not None:
            return self.track(steps, label)
        if len(steps) > 1 and sys.stderr.isatty():
            from tqdm import tqdm

            return tqdm(steps, desc=label, unit="step", leave=False)
        return iter(steps)


def import_sentence_transformers(file: str):
    """The sentence_transformers module; a `RecipeError` saying what to install when absent."""
    try:
        import sentence_transformers
    except ImportError as error:
        raise RecipeError(file, f"{KEY}.type", (
            f"is 'sentence_transformers', which needs the sentence-transformers package: {error}."),
            INSTALL_HINT) from error
    return sentence_transformers


def device_of(device: str) -> str:
    """`auto` -> `cuda` when torch sees a GPU, else `cpu`."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def hub_snapshot(model: str, file: str) -> Path:
    """The local snapshot folder of Hub model `model` in the Hugging Face cache, downloaded
    first when it is not there (and the Hub can be reached)."""
    import_sentence_transformers(file)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model, local_files_only=True))
    except HFValidationError as error:
        raise RecipeError(file, f"{KEY}.model", (
            f"found '{model}', which is neither a Hub model id nor an existing folder: {error}"),
            f"Expected an id such as '{DEFAULT_MODEL}' or a path.") from error
    except LocalEntryNotFoundError:
        pass
    try:
        import sentence_transformers

        sentence_transformers.SentenceTransformer(model, device="cpu")
        return Path(snapshot_download(model, local_files_only=True))
    except Exception as error:  # the Hub's many errors (not found, gated, offline) all mean this
        raise RecipeError(file, f"{KEY}.model", (
            f"found '{model}', which is not in the Hugging Face cache and could not be "
            f"downloaded: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"),
            ("Expected a sentence-transformers model id on the Hub (reachable from here) or the "
             "path of a local copy, e.g. the folder `make setup` extracts to "
             ".cache/models/all-MiniLM-L6-v2.")) from error
