"""`type: image_manifest`: a table (CSV, JSON Lines or parquet) listing images by path, beside
metadata columns (a label, a photographer, a capture date ...).

```yaml
sources:
  photos:
    type: image_manifest
    path: data/photos/manifest.csv     # a file or a glob of manifests
    image_path: file                   # the column of image paths, relative to the manifest
    on_bad_image: drop                 # or fail (a missing or bad image)
```

Each row: the manifest's columns, and `image` (the file's bytes), `width`, `height`, `mode`.
An image path that leaves the manifest's folder (`../`, an absolute path) is an error; a
missing or bad image is dropped and listed in the metrics (`bad_images`), or fails the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from builder.recipe.registry import SOURCES
from builder.recipe.schema import CheckContext, Problems
from builder.sources.base import FileSourceConfig
from builder.sources.images import (FILES_PER_PIECE, IMAGE_COLUMNS, ImageSource,
                                    ImageSourceConfig, inside)

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

#: Manifest formats by file ending.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl",
           ".parquet": "parquet"}


@dataclass(kw_only=True)
class ImageManifestConfig(ImageSourceConfig, FileSourceConfig):
    """`path` (manifest files), `image_path` (their column of image paths), `format`."""

    image_path: str
    format: Literal["auto", "csv", "jsonl", "parquet"] = "auto"

    def format_of(self, path: Path) -> str | None:
        return FORMATS.get(path.suffix.lower()) if self.format == "auto" else self.format

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        for path in self.files(ctx.root):
            if self.format_of(path) is None:
                yield "format", (f"cannot tell the format of {path.name} from its ending; "
                                 "expected .csv, .jsonl or .parquet, or set `format:`.")
                break


@SOURCES.register("image_manifest")
class ImageManifestSource(ImageSource):
    """Reads each manifest (small) when listing pieces, and the images of a slice of its rows
    when a piece is read."""

    Config = ImageManifestConfig

    def read_manifest(self, path: Path) -> pa.Table:
        import pyarrow as pa

        kind = self.config.format_of(path)
        try:
            if kind == "csv":
                import pyarrow.csv as pcsv

                return pcsv.read_csv(path)
            if kind == "jsonl":
                import pyarrow.json as pjson

                return pjson.read_json(path)
            import pyarrow.parquet as pq

            return pq.read_table(path)
        except (OSError, pa.ArrowException) as error:
            raise self.error(f"cannot read the manifest {path}: {' '.join(str(error).split())} "
                             f"Expected a readable {kind} file.") from error

    def columns(self) -> list[str] | None:
        found: dict[str, None] = {}
        for path in self.config.files(self.root):
            found.update(dict.fromkeys(self.read_manifest(path).column_names))
        return [*found, *IMAGE_COLUMNS]

    def pieces(self, partition_bytes: int) -> list[Any]:
        files = self.config.files(self.root)
        if not files:
            raise self.error(f"no file matches '{self.config.path}'.")
        pieces = []
        for path in files:
            rows = self.read_manifest(path).num_rows
            pieces += [(str(path), start, min(start + FILES_PER_PIECE, rows))
                       for start in range(0, max(rows, 1), FILES_PER_PIECE)]
        return pieces

    def read_piece(self, piece: Any, partition_bytes: int) -> Iterator[pa.Table]:
        import pyarrow as pa
        import pyarrow.compute as pc

        manifest, start, stop = piece
        manifest = Path(manifest)
        table = self.read_manifest(manifest).slice(start, stop - start)
        column = self.config.image_path
        if column not in table.column_names:
            raise self.error(f"the manifest {manifest} has no column '{column}' (image_path); "
                             f"it has {', '.join(table.column_names)}.")
        for name in IMAGE_COLUMNS:
            if name in table.column_names:
                raise self.error(f"the manifest {manifest} has a column '{name}', a name the "
                                 "image source gives its own column; expected it renamed in "
                                 "the manifest.")
        paths = pc.cast(table.column(column), "string").to_pylist()
        files = []
        for row, relative in enumerate(paths, start=start + 1):
            if relative is None:
                files.append((f"{manifest} row {row} (no path)", None))
                continue
            target = None if Path(relative).is_absolute() else inside(manifest.parent, relative)
            if target is None:
                raise self.error(
                    f"{manifest}: row {row}: the image path '{relative}' in column '{column}' "
                    f"leaves the manifest's folder {manifest.parent}; expected a path relative "
                    "to it, without '../'.")
            files.append((str(manifest.parent / relative), target))
        images, keep = self.image_table(files)
        kept = table.filter(pa.array(keep))
        for name in IMAGE_COLUMNS:
            kept = kept.append_column(name, images.column(name))
        yield kept

    def read(self) -> pa.Table:
        import pyarrow as pa

        tables = [t for piece in self.pieces(1 << 25) for t in self.read_piece(piece, 1 << 25)]
        return pa.concat_tables(tables, promote_options="permissive")
