"""Decode, change and re-encode images with Pillow (the `resize` and `convert` transforms,
augmentations): deterministic, the same bytes for the same input and Pillow version."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

#: Output formats the transforms may write, as Pillow names them.
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")
#: Image modes `convert` may produce.
MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I", "F")


def decode(data: bytes) -> Image.Image:
    """An encoded image, decoded."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def encode(image: Image.Image, format: str) -> bytes:
    """An image encoded in `format` with fixed settings (no timestamps or random parts)."""
    out = io.BytesIO()
    if format == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    options = {"quality": 95} if format in ("JPEG", "WEBP") else {}
    image.save(out, format=format, **options)
    return out.getvalue()


def rewrite(data: bytes | None, change: Callable[[Image.Image], Image.Image],
            format: str | None) -> tuple[bytes | None, int, int, str]:
    """Apply `change` to an encoded image and encode the result (in `format`, else the input's
    own format); returns the bytes, width, height and mode. A missing image stays missing."""
    if data is None:
        return None, 0, 0, ""
    image = decode(data)
    changed = change(image)
    out = encode(changed, format or image.format or "PNG")
    return out, changed.width, changed.height, changed.mode


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """The image scaled down (aspect kept, Lanczos) so that its longer side is at most
    `max_side`; smaller images are left as they are."""
    from PIL import Image

    longer = max(image.size)
    if longer <= max_side:
        return image
    scale = max_side / longer
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)
