"""Review-queue exports of image tasks: the queued rows' images written beside the tool's files
(`images/<name>.<ext>`), and how each tool refers to them.

A file is named by its row id in lower-case base32 (`file_stem`), so that an answer that comes
back with only the image's name or URI (Vertex AI) still names its row (`row_id_of`). Where the
files are served from is the recipe's `labeling.human.image_url_prefix` (an `https://` folder,
`s3://...`, `gs://...` for Vertex AI); without one, tools get the path relative to the export
folder (Label Studio serves it through its local file storage).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import TYPE_CHECKING

from builder.errors import DataError

if TYPE_CHECKING:
    from builder.labeling.human.tools.base import ExportRequest

#: The folder, inside a tool's export folder, that holds the queued images.
IMAGES = "images"
#: Label Studio's URL for a file under its local file storage's document root.
LOCAL_FILES = "/data/local-files/?d="
#: File endings by Pillow format.
ENDINGS = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "BMP": ".bmp", "WEBP": ".webp",
           "TIFF": ".tif"}


def file_stem(row_id: str) -> str:
    """A row id as a file name (and a Vertex AI label value): lower-case base32, no padding."""
    return base64.b32encode(str(row_id).encode()).decode().rstrip("=").lower()


def row_id_of(stem: str) -> str | None:
    """The row id a `file_stem` encodes, or None when `stem` is not one."""
    try:
        padded = stem.upper() + "=" * (-len(stem) % 8)
        return base64.b32decode(padded).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def write_images(request: ExportRequest, folder: Path) -> list[str]:
    """Write each queued row's image into `folder/images/`; their paths relative to `folder`."""
    from PIL import Image, UnidentifiedImageError

    column = request.task.image
    (folder / IMAGES).mkdir(exist_ok=True)
    paths = []
    for row_id, data in zip(request.rows["_id"], request.rows[column]):
        if not isinstance(data, bytes | bytearray):
            raise DataError(f"row {row_id}: the image column '{column}' holds no image bytes; "
                            "expected the encoded image an image source reads.")
        try:
            with Image.open(io.BytesIO(data)) as image:
                ending = ENDINGS.get(image.format or "", ".img")
        except UnidentifiedImageError:
            ending = ".img"
        relative = f"{IMAGES}/{file_stem(row_id)}{ending}"
        (folder / relative).write_bytes(bytes(data))
        paths.append(relative)
    return paths


def image_urls(request: ExportRequest, relative: list[str], default_prefix: str = "") -> list[str]:
    """Where the tool finds each image: the recipe's `image_url_prefix` (or `default_prefix`)
    followed by its path relative to the export folder."""
    prefix = request.image_url_prefix if request.image_url_prefix is not None else default_prefix
    if prefix and not prefix.endswith(("/", "=")):
        prefix += "/"
    return [prefix + path for path in relative]
