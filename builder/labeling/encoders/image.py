"""`encoder: {type: image, model, batch_size, device}`: image embeddings for the pseudo-labeler
of an image-classification task (and the label-error check, which uses its models).

`model` is a Hugging Face Hub id or a local folder (absolute, or relative to the project root):
a sentence-transformers CLIP model (a folder with `modules.json`; images go through
`SentenceTransformer.encode`) or a transformers vision model with its image processor (ViT,
DINOv2, CLIP ...; the embedding is the model's image features, pooled output, or the mean of
its last hidden state). Embeddings are cached by model fingerprint and image hash, like text
embeddings (`builder.labeling.encoders.cache`): a rebuild encodes only images it has not seen.

torch, transformers and sentence-transformers are imported inside the functions that need them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from builder.errors import RecipeError
from builder.labeling.encoders.base import ENCODERS, KEY, Encoder, EncoderConfig, Problems
from builder.labeling.encoders.sentence_transformers import (device_of, fingerprint_folder,
                                                             local_path)

if TYPE_CHECKING:
    import numpy as np

    from builder.recipe.schema import CheckContext


@dataclass(kw_only=True)
class ImageEncoderConfig(EncoderConfig):
    """An image model: a Hub id or a local folder, images encoded per batch, and where."""

    model: str
    batch_size: int = 32
    device: Literal["auto", "cpu", "cuda"] = "auto"

    def check(self, ctx: CheckContext) -> Problems:
        if self.batch_size < 1:
            yield "batch_size", f"found {self.batch_size}, expected a positive integer."
        path = local_path(self.model, ctx.root)
        if path is not None and not (path / "config.json").is_file():
            yield "model", (f"found '{self.model}', but {path} holds no model (no config.json); "
                            "expected a sentence-transformers CLIP folder or a transformers "
                            "vision model saved with save_pretrained.")


@ENCODERS.register("image")
class ImageEncoder(Encoder):
    """Image embeddings (float32, one dense row per image), cached by model and image hash."""

    Config = ImageEncoderConfig
    #: The pseudo-labeler gives this encoder images (encoded bytes), not texts.
    images = True

    def __init__(self, config: ImageEncoderConfig, **kwargs: Any):
        super().__init__(config, **kwargs)
        self._loaded: tuple[Any, Any] | None = None
        self._folder: Path | None = None
        self._fingerprint: str | None = None
        self.encoded = 0
        self.cache_root = self.root / ".cache" / "embeddings"

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "_loaded": None}

    def fit_transform(self, images: np.ndarray) -> np.ndarray:
        return self.transform(images)

    def transform(self, images: np.ndarray) -> np.ndarray:
        """Each encoded image's embedding: from the cache, or encoded (unique unseen images
        only) and cached."""
        import numpy as np
        import pyarrow as pa

        from builder.columns import text_hashes
        from builder.labeling.encoders.cache import EmbeddingCache, model_key

        _, fingerprint = self.resolve()
        cache = EmbeddingCache(self.cache_root / model_key("image-" + fingerprint))
        values = [b"" if v is None else bytes(v) for v in images]
        keys = text_hashes(pa.array(values, pa.binary()))
        unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        found, vectors = cache.lookup(unique)
        if not found.all():
            missing = np.flatnonzero(~found)
            fresh = self.encode([values[i] for i in first[missing]])
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
        """The model's folder and fingerprint; a `RecipeError` when there is no such model."""
        if self._folder is None:
            path = local_path(self.config.model, self.root)
            if path is None:
                path = hub_folder(self.config.model, self.file)
            if not (path / "config.json").is_file():
                raise RecipeError(self.file, f"{KEY}.model", (
                    f"found '{self.config.model}', but {path} holds no model (no config.json)."),
                    "Expected a sentence-transformers CLIP folder or a transformers vision model.")
            self._folder = path
            self._fingerprint = fingerprint_folder(path)
        return self._folder, self._fingerprint

    def load(self) -> tuple[Any, Any]:
        """(model, image processor or None for a sentence-transformers model), loaded once."""
        if self._loaded is None:
            folder, _ = self.resolve()
            device = device_of(self.config.device)
            try:
                if (folder / "modules.json").is_file():
                    from sentence_transformers import SentenceTransformer

                    self._loaded = (SentenceTransformer(str(folder), device=device,
                                                        local_files_only=True), None)
                else:
                    from transformers import AutoImageProcessor, AutoModel

                    model = AutoModel.from_pretrained(str(folder), local_files_only=True)
                    processor = AutoImageProcessor.from_pretrained(str(folder),
                                                                   local_files_only=True)
                    self._loaded = (model.to(device).eval(), processor)
            except (OSError, ValueError, KeyError, ImportError) as error:
                raise RecipeError(self.file, f"{KEY}.model", (
                    f"found '{self.config.model}', which cannot be loaded from {folder}: "
                    f"{' '.join(str(error).split())[:300]}"),
                    "Expected an image model with its image processor.") from error
        return self._loaded

    def encode(self, images: list[bytes]) -> np.ndarray:
        """Embeddings of encoded images, a batch at a time."""
        import numpy as np
        from PIL import Image

        model, processor = self.load()
        out = []
        for start in range(0, len(images), self.config.batch_size):
            batch = [Image.open(io.BytesIO(data)).convert("RGB")
                     for data in images[start:start + self.config.batch_size]]
            out.append(embed(model, processor, batch))
        self.encoded += len(images)
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 0), np.float32)


def embed(model: Any, processor: Any, images: list) -> np.ndarray:
    """One batch of PIL images through a sentence-transformers model (processor None) or a
    transformers vision model."""
    if processor is None:
        return model.encode(images, convert_to_numpy=True, show_progress_bar=False)
    import torch

    inputs = processor(images=images, return_tensors="pt").to(model.device)
    with torch.no_grad():
        if hasattr(model, "get_image_features"):  # CLIP-like: the projected image features
            features = model.get_image_features(**inputs)
            if not isinstance(features, torch.Tensor):
                features = features.pooler_output
        else:
            output = model(**inputs)
            pooled = getattr(output, "pooler_output", None)
            features = pooled if pooled is not None else output.last_hidden_state.mean(dim=1)
    return features.float().cpu().numpy()


def hub_folder(model: str, file: str) -> Path:
    """The local snapshot of Hub model `model` (the Hugging Face cache, downloaded into it
    when the Hub can be reached)."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model, local_files_only=True))
    except Exception:  # not cached (or not an id): try the Hub
        pass
    try:
        return Path(snapshot_download(model))
    except Exception as error:  # the Hub's many errors (not found, gated, offline) all mean this
        raise RecipeError(file, f"{KEY}.model", (
            f"found '{model}', which is not in the Hugging Face cache and could not be "
            f"downloaded: {type(error).__name__}"),
            "Expected an image model id on the Hub (reachable from here) or the path of a "
            "local copy.") from error

