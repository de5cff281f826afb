"""What image sources share: options for bad images, reading and verifying a list of files
into a table of encoded images with their size and mode (`ImageSource.image_table`).

A piece of an image source is a list of files; reading it reads each file's bytes, verifies
the image with Pillow (`builder.images.check`) and drops (or fails on) bad ones. The table a
piece gives has the image bytes (`image`, Arrow binary), `width`, `height` and `mode`, beside
the source's own columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from builder.images.check import BadImages, OnBadImage, bad_image_error, inspect
from builder.recipe.schema import CheckContext, Problems, SourceConfig
from builder.sources.base import Source

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

#: The columns an image source adds: the encoded image and what verification found.
IMAGE = "image"
IMAGE_COLUMNS = (IMAGE, "width", "height", "mode")
#: Files per piece at most (besides about a partition's bytes), so that small images still
#: make several pieces for the engine's threads.
FILES_PER_PIECE = 4096


@dataclass(kw_only=True)
class ImageSourceConfig(SourceConfig):
    """Keys every image source has: `max_pixels` (width x height above which an image is bad)
    and `on_bad_image` (`drop`: drop and list in the metrics; `fail`: fail the build)."""

    max_pixels: int | None = None
    on_bad_image: OnBadImage = "drop"

    #: The rows' ids hash these columns (the image bytes) unless a `key` is given.
    id_columns: ClassVar[tuple[str, ...]] = (IMAGE,)

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        if self.max_pixels is not None and self.max_pixels < 1:
            yield "max_pixels", f"found {self.max_pixels}, expected a positive pixel count."


class ImageSource(Source):
    """A source of image files; subclasses list the files of each piece."""

    Config = ImageSourceConfig

    def image_table(self, files: list[tuple[str, Path | None]]) -> tuple[pa.Table, np.ndarray]:
        """Read and verify `files` (shown path, file or None when missing): the good images'
        columns (`IMAGE_COLUMNS`) and which of `files` they are (a keep mask). Bad images are
        added to `self.report`, or fail the build with `on_bad_image: fail`."""
        import numpy as np
        import pyarrow as pa

        bad = BadImages()
        images, widths, heights, modes = [], [], [], []
        keep = np.zeros(len(files), dtype=bool)
        for i, (shown, path) in enumerate(files):
            data = _read_bytes(path)
            info = inspect(data, self.config.max_pixels)
            if info.problem is not None:
                if self.config.on_bad_image == "fail":
                    raise self.error(bad_image_error(f"source '{self.name}'", shown, info.problem))
                bad.add(shown, info.problem)
                continue
            keep[i] = True
            images.append(data)
            widths.append(info.width)
            heights.append(info.height)
            modes.append(info.mode)
        self._add_report({"rows": int(keep.sum()), **bad.report()})
        table = pa.table({IMAGE: pa.array(images, pa.binary()),
                          "width": pa.array(widths, pa.int64()),
                          "height": pa.array(heights, pa.int64()),
                          "mode": pa.array(modes, pa.string())})
        return table, keep

    def _add_report(self, figures: dict) -> None:
        for key, value in figures.items():
            self.report[key] = self.report[key] + value if key in self.report else value


def _read_bytes(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return b""  # unreadable: reported as an empty file


def inside(root: Path, relative: str) -> Path | None:
    """`root / relative` when it stays inside `root` (symbolic links resolved), else None."""
    base = root.resolve()
    target = (base / relative).resolve()
    return target if target == base or base in target.parents else None
