"""Write the digits example's images (see recipes/data/README.md):

    python recipes/data/make_digits.py

writes recipes/data/digits/<digit>/<index>.png: scikit-learn's 1,797 handwritten digits (8x8,
17 grey levels), scaled to 0-255 and enlarged to 32x32 (nearest neighbour), one folder per
digit. Two files are planted for the example's checks: a truncated PNG
(`3/planted-truncated.png`, dropped and listed by the source) and a re-encoded, slightly
brighter copy of image 5 (`5/planted-near-copy.png`, dropped by `dedup_images`). Deterministic:
the same scikit-learn and Pillow give the same bytes.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "digits"
SIZE = 32


def encode(pixels: np.ndarray) -> bytes:
    from PIL import Image

    grey = np.round(pixels * 255 / 16).astype(np.uint8)
    image = Image.fromarray(grey, "L").resize((SIZE, SIZE), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    if OUT.exists():
        shutil.rmtree(OUT)
    for index, (pixels, target) in enumerate(zip(digits.images, digits.target)):
        folder = OUT / str(target)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:04d}.png").write_bytes(encode(pixels))
    whole = (OUT / str(digits.target[3]) / "0003.png").read_bytes()
    (OUT / "3" / "planted-truncated.png").write_bytes(whole[: len(whole) // 2])
    brighter = np.minimum(digits.images[5] + 1, 16)
    (OUT / str(digits.target[5]) / "planted-near-copy.png").write_bytes(encode(brighter))
    (OUT / "SOURCE.txt").write_text(
        "scikit-learn's copy of the UCI Optical Recognition of Handwritten Digits test set "
        "(E. Alpaydin, C. Kaynak, 1998; CC BY 4.0), written as PNG files by "
        "recipes/data/make_digits.py.\n")


if __name__ == "__main__":
    main()
