"""`type: zero_shot`: CLIP's zero-shot classification of images as a labeling function: each
image is compared with a prompt per class (`prompt`, `{}` is the class name) in a
sentence-transformers CLIP model's shared space, and the function votes for the closest class
when its probability (softmax of the scaled cosine similarities) reaches `min_score`.

```yaml
labeling:
  functions:
    clip:
      type: zero_shot
      model: openai/clip-vit-base-patch32-multilingual   # a Hub id or a local folder
      prompt: "a photo of a {}"
      min_score: 0.6
```

The model is loaded once per process (offline from a local folder, else through the Hugging
Face cache); sentence-transformers is imported only when the function runs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from builder.labeling.config import FUNCTIONS, FunctionConfig, Problems
from builder.labeling.kinds.base import LabelingFunction

#: CLIP's logit scale: cosine similarities times this are its logits.
LOGIT_SCALE = 100.0


@dataclass(kw_only=True)
class ZeroShotConfig(FunctionConfig):
    """`model` (a sentence-transformers CLIP model), `column` (the encoded images, `image` as
    image sources name it), `prompt`, `min_score`; no `label` (it votes for any class)."""

    model: str
    column: str = "image"
    prompt: str = "a photo of a {}"
    min_score: float = 0.5

    def check(self, ctx) -> Problems:
        yield from super().check(ctx)
        if self.label is not None:
            yield "label", "is set; a zero_shot function votes for whichever class fits best."
        if "{}" not in self.prompt:
            yield "prompt", f"found '{self.prompt}', expected a '{{}}' where the class name goes."
        if not 0 <= self.min_score <= 1:
            yield "min_score", f"found {self.min_score}, expected a probability from 0 to 1."
        from builder.labeling.encoders.sentence_transformers import folder_problem, local_path

        path = local_path(self.model, ctx.root)
        if path is not None:
            problem = folder_problem(path, self.model)
            if problem:
                yield "model", problem

    def input_files(self, root) -> list:
        """A local model folder's files: its votes (cached per partition, keyed by these
        files) are recomputed when the model changes. A Hub id: none (see `folder`)."""
        from builder.labeling.encoders.sentence_transformers import local_path

        path = local_path(self.model, root)
        if path is None or not path.is_dir():
            return []
        return sorted(p for p in path.rglob("*") if p.is_file())


@functools.lru_cache(maxsize=2)
def clip_model(folder: str):
    """A sentence-transformers model, loaded once per process."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(folder, device="cpu", local_files_only=True)


@FUNCTIONS.register("zero_shot")
class ZeroShot(LabelingFunction):
    """Votes for the class whose prompt is closest to the image, when sure enough."""

    Config = ZeroShotConfig

    def folder(self) -> str:
        from builder.labeling.encoders.sentence_transformers import hub_snapshot, local_path

        path = local_path(self.config.model, self.root)
        return str(path if path is not None else hub_snapshot(self.config.model, "recipe"))

    def votes(self, batch, features):
        import io

        import numpy as np
        from PIL import Image

        column = self.config.column
        model = clip_model(self.folder())
        prompts = [self.config.prompt.format(name) for name in self.classes]
        texts = model.encode(prompts, convert_to_numpy=True, normalize_embeddings=True,
                             show_progress_bar=False)
        present = [isinstance(v, bytes | bytearray) for v in batch[column]]
        images = [Image.open(io.BytesIO(v)).convert("RGB")
                  for v, ok in zip(batch[column], present) if ok]
        out = np.full(len(batch), -1, dtype=np.int8)
        if not images:
            return out
        vectors = model.encode(images, convert_to_numpy=True, normalize_embeddings=True,
                               show_progress_bar=False)
        logits = LOGIT_SCALE * vectors @ texts.T
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        best = probabilities.argmax(axis=1)
        sure = probabilities.max(axis=1) >= self.config.min_score
        out[np.flatnonzero(present)] = np.where(sure, best, -1).astype(np.int8)
        return out
