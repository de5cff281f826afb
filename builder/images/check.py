"""Open and verify images with Pillow; what a bad one is and how the sources count it.

An image is bad when its file is empty, missing, not an image Pillow can identify, truncated or
corrupt (`Image.verify` checks the structure and checksums, `Image.load` decodes every pixel),
or larger than a declared `max_pixels`. Sources drop bad images and list them in their metrics
(`BadImages`), or fail the build with `on_bad_image: fail`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal

#: The file name endings read as images (lower case), unless a source names its own.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")

#: What a source does with a bad image.
OnBadImage = Literal["drop", "fail"]

#: The paths of bad images listed in the metrics, per source (the count is always whole).
LISTED = 100


@dataclass(frozen=True)
class ImageInfo:
    """What verification found: `problem` (None for a good image) and the image's size and
    mode."""

    problem: str | None
    width: int = 0
    height: int = 0
    mode: str = ""


def inspect(data: bytes | None, max_pixels: int | None = None) -> ImageInfo:
    """Verify one encoded image; never raises for bad data."""
    from PIL import Image, UnidentifiedImageError

    if data is None:
        return ImageInfo("missing file")
    if not data:
        return ImageInfo("empty file (0 bytes)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if max_pixels is not None and width * height > max_pixels:
                return ImageInfo(f"{width}x{height} = {width * height} pixels, over max_pixels "
                                 f"{max_pixels}", width, height, image.mode)
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return ImageInfo(None, width, height, image.mode)
    except UnidentifiedImageError:
        return ImageInfo("not an image Pillow can read")
    except Image.DecompressionBombError as error:
        return ImageInfo(f"too large to decode safely ({error})")
    except (OSError, ValueError, SyntaxError, EOFError) as error:  # truncated, bad checksums
        reason = " ".join(str(error).split()) or type(error).__name__
        return ImageInfo(f"corrupt or truncated ({reason})")


@dataclass
class BadImages:
    """The bad images of one piece of a source: counted, the first `LISTED` paths kept."""

    count: int = 0
    listed: list[dict[str, str]] = field(default_factory=list)

    def add(self, path: str, problem: str) -> None:
        self.count += 1
        if len(self.listed) < LISTED:
            self.listed.append({"path": path, "problem": problem})

    def report(self) -> dict:
        """The figures a source adds to its ingest metrics."""
        return {"bad_images": self.count, "bad_image_paths": list(self.listed)}


def bad_image_error(owner: str, path: str, problem: str) -> str:
    """The message of `on_bad_image: fail`."""
    return (f"{owner}: the image {path} is bad: {problem}. Expected a readable image; fix or "
            "remove the file, or set `on_bad_image: drop` to drop bad images and list them in "
            "the metrics.")
