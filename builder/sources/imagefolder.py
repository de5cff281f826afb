"""`type: imagefolder`: a folder of images, one sub-folder per class (labels from the folder
names, mapped by `label_map`), or unlabeled images (`labels: none`).

```yaml
sources:
  digits:
    type: imagefolder
    path: recipes/data/digits        # the root folder, relative to the project
    glob: "**/*"                      # which files under it (the default)
    extensions: [.png]               # the default: common image formats
    labels: folders                  # or none
    max_pixels: 1000000
    on_bad_image: drop               # or fail
```

Each row: `image` (the file's bytes), `file` (its path under the root, with `/`), `label` (the
first folder under the root; null for files at the root), `width`, `height`, `mode`. Files
whose ending is not an image extension are skipped and counted (`skipped_files`).
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from builder.images.check import IMAGE_EXTENSIONS, LISTED
from builder.recipe.registry import SOURCES
from builder.recipe.schema import CheckContext, Problems
from builder.sources.images import FILES_PER_PIECE, IMAGE_COLUMNS, ImageSource, ImageSourceConfig

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

#: The column holding each image's path under the root.
FILE = "file"
#: The column holding each image's folder name (its raw label).
LABEL = "label"


@dataclass(kw_only=True)
class ImageFolderConfig(ImageSourceConfig):
    """`path` (the root folder), `glob` under it, `extensions`, `labels: folders | none`."""

    path: str
    glob: str = "**/*"
    extensions: list[str] = field(default_factory=lambda: list(IMAGE_EXTENSIONS))
    labels: Literal["folders", "none"] = "folders"

    def folder(self, root: Path) -> Path:
        return Path(self.path) if Path(self.path).is_absolute() else root / self.path

    def listing(self, root: Path) -> tuple[list[str], list[str]]:
        """The image files under the root (relative, `/`-separated, sorted) and the other
        files the glob matched (skipped). Strings and `os.walk`, not `pathlib`: a folder of
        50,000 images is listed in a tenth of the time."""
        folder = str(self.folder(root))
        files = set()
        for top, _, names in os.walk(folder, followlinks=True):
            relative = os.path.relpath(top, folder).replace(os.sep, "/")
            prefix = "" if relative == "." else relative + "/"
            files.update(prefix + name for name in names)
        if self.glob != "**/*":  # every file is what the default matches
            matched = glob.glob(self.glob, root_dir=folder, recursive=True)
            files &= {m.replace(os.sep, "/") for m in matched}
        endings = tuple(e.lower() for e in self.extensions)
        images, others = [], []
        for relative in sorted(files):
            (images if relative.lower().endswith(endings) else others).append(relative)
        return images, others

    def folder_inputs(self, root: Path) -> dict[str, str]:
        """One fingerprint for the whole folder (`folder_digest` of the files the glob
        matches), not one per file: a folder may hold 100,000 images."""
        folder = self.folder(root)
        if not folder.is_dir():
            return {}
        images, others = self.listing(root)
        return {f"{self.path}/{self.glob}": folder_digest(folder, images + others)}

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        folder = self.folder(ctx.root)
        if not folder.is_dir():
            yield "path", (f"found '{self.path}', which is not a folder (relative to "
                           f"{ctx.root}); expected the root folder of the images.")
        pattern = PurePosixPath(self.glob)
        if pattern.is_absolute() or ".." in pattern.parts or Path(self.glob).is_absolute():
            yield "glob", (f"found '{self.glob}', which reaches outside the source's root "
                           f"'{self.path}'; expected a pattern under it, such as '**/*.png'.")
        for i, ending in enumerate(self.extensions):
            if not ending.startswith("."):
                yield f"extensions[{i}]", (f"found '{ending}', expected a file ending such as "
                                           "'.png'.")


@SOURCES.register("imagefolder")
class ImageFolderSource(ImageSource):
    """Reads the images of a folder tree lazily: a piece is a list of files (about a
    partition's bytes, at most `FILES_PER_PIECE`), read when its task runs."""

    Config = ImageFolderConfig

    def columns(self) -> list[str]:
        labels = [LABEL] if self.config.labels == "folders" else []
        return [*IMAGE_COLUMNS, FILE, *labels]

    def pieces(self, partition_bytes: int) -> list[Any]:
        folder = self.config.folder(self.root)
        if not folder.is_dir():
            raise self.error(f"the folder {folder} does not exist; expected the root folder "
                             "of the images.")
        images, others = self.config.listing(self.root)
        pieces: list[Any] = []
        group: list[str] = []
        size = 0
        base = str(folder)
        for relative in images:
            group.append(relative)
            size += os.stat(os.path.join(base, relative)).st_size
            if size >= partition_bytes or len(group) >= FILES_PER_PIECE:
                pieces.append(tuple(group))
                group, size = [], 0
        if group or not pieces:
            pieces.append(tuple(group))
        # The first piece reports the skipped files (each piece is read by its own task).
        return [(files, others if i == 0 else []) for i, files in enumerate(pieces)]

    def piece_digest(self, piece: Any) -> str | None:
        """The images' relative paths and bytes, and the files skipped (the partition cache:
        image checks and hashes are not redone for unchanged images)."""
        from builder.cache import key

        files, skipped = piece
        base = str(self.config.folder(self.root))
        try:
            return key(self.config.path, list(files), list(skipped),
                       [file_digest(os.path.join(base, f)).hex() for f in files])
        except OSError:
            return None

    def read_piece(self, piece: Any, partition_bytes: int) -> Iterator[pa.Table]:
        import pyarrow as pa

        files, skipped = piece
        folder = self.config.folder(self.root)
        table, keep = self.image_table([(f"{self.config.path}/{f}", folder / f) for f in files])
        kept = [f for f, k in zip(files, keep) if k]
        table = table.append_column(FILE, pa.array(kept, pa.string()))
        if self.config.labels == "folders":
            labels = [f.split("/", 1)[0] if "/" in f else None for f in kept]
            table = table.append_column(LABEL, pa.array(labels, pa.string()))
        self._add_report({"skipped_files": len(skipped),
                          "skipped_file_paths": [f"{self.config.path}/{f}"
                                                 for f in skipped[:LISTED]]})
        yield table

    def read(self) -> pa.Table:
        import pyarrow as pa

        tables = [t for piece in self.pieces(1 << 25) for t in self.read_piece(piece, 1 << 25)]
        return pa.concat_tables(tables)


def folder_digest(folder: Path, files: list[str]) -> str:
    """A sha256 over the files' relative paths and contents, in order: the folder's
    fingerprint."""
    digest = hashlib.sha256()
    base = str(folder)
    for relative in files:
        digest.update(relative.encode() + b"\0")
        digest.update(file_digest(os.path.join(base, relative)))
    return digest.hexdigest()


#: sha256 of files read in this process, by path, with the size and modification time they
#: had: the compose stage's folder fingerprint and the ingest's partition-cache keys read each
#: image once between them, not twice (a changed file has another size or time).
_DIGESTS: dict[str, tuple[int, int, bytes]] = {}


def file_digest(path: str) -> bytes:
    """The sha256 of a file's bytes, remembered for this process (see `_DIGESTS`)."""
    stat = os.stat(path)
    known = _DIGESTS.get(path)
    if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
        return known[2]
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).digest()
    _DIGESTS[path] = (stat.st_size, stat.st_mtime_ns, digest)
    return digest
