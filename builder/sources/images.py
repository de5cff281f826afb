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
            data = self.read_bytes(path)
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

    def read_bytes(self, path: Path | None) -> bytes | None:
        """A file's bytes (None when missing)."""
        return _read_bytes(path)

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


def image_feature_columns(table: pa.Table, column: str, source: ImageSource | Source,
                          max_pixels: int | None = None, on_bad_image: str = "drop") -> pa.Table:
    """A table whose `column` holds `datasets.Image` values (`{bytes, path}` structs, e.g. an
    `hf` source) with the column as encoded bytes (read from `path` where the bytes are not
    embedded), each image verified (bad ones dropped and counted in `source.report`, or a
    failure), and `width`, `height` and `mode` added when the table has none of them."""
    import pyarrow as pa

    values = table.column(column).to_pylist()
    files: list[tuple[str, Path | None]] = []
    embedded: list[bytes | None] = []
    for i, value in enumerate(values):
        value = value or {}
        path = value.get("path")
        embedded.append(value.get("bytes"))
        files.append((path or f"row {i}", Path(path) if path and not value.get("bytes") else None))
    reader = _Embedded(source, embedded, max_pixels, on_bad_image)
    images, keep = reader.image_table(files)
    kept = table.filter(pa.array(keep)) if not keep.all() else table
    index = kept.column_names.index(column)
    kept = kept.set_column(index, column, images.column(IMAGE))
    if not {"width", "height", "mode"} & set(kept.column_names):
        for name in ("width", "height", "mode"):
            kept = kept.append_column(name, images.column(name))
    for key, value in reader.report.items():  # bad images, as image sources count them
        if key != "rows":
            source.report[key] = source.report[key] + value if key in source.report else value
    return kept


class _Embedded(ImageSource):
    """`ImageSource.image_table` over images whose bytes are at hand (or files to read)."""

    def __init__(self, owner, embedded: list, max_pixels, on_bad_image):
        self.name, self.root, self.report = owner.name, Path("."), {}
        self.type_name = getattr(owner, "type_name", "source")
        self.config = ImageSourceConfig(type="image", max_pixels=max_pixels,
                                        on_bad_image=on_bad_image)
        self._embedded = iter(embedded)

    def read_bytes(self, path: Path | None) -> bytes | None:
        data = next(self._embedded)
        return data if data is not None else _read_bytes(path)
