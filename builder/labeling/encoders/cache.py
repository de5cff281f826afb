"""Embeddings cached on disk, keyed by model and text, outside the DVC outputs.

A model's cache is a folder (`<project>/.cache/embeddings/<fingerprint>/`, see `model_key`) of
shard files. Each encode that met unseen texts writes one shard, atomically: a header (magic,
count, dimension, sha256 of the rest), the texts' sorted 64-bit hashes
(`builder.columns.text_hashes`) and their float32 vectors. A shard is checked against its
checksum before its first use in a process; one that fails (truncated, overwritten, from
another dimension) is removed with a warning and its texts count as unseen, so they are encoded
again and written to a new shard: a damaged file is never used. Past `MAX_SHARDS` shards the
folder is compacted into one.

The vectors a build uses are always the float32 values stored here: a build that reads them
back produces the same bytes as the build that computed them.
"""

from __future__ import annotations

import hashlib
import struct
import warnings
from pathlib import Path

import numpy as np

from builder import artifacts

MAGIC = b"FWEMB\x00\x01\x00"
_HEADER = struct.Struct("<8sQQ32s")
#: Shards a folder holds before they are merged into one.
MAX_SHARDS = 16
SUFFIX = ".emb"


def model_key(fingerprint: str) -> str:
    """A model's folder name: its fingerprint (the same files under two names share it)."""
    return fingerprint[:24]


class Shard:
    """One checked shard: sorted hashes and their vectors, memory-mapped."""

    def __init__(self, path: Path, hashes: np.ndarray, vectors: np.ndarray):
        self.path, self.hashes, self.vectors = path, hashes, vectors


#: Shards already checked in this process, by (path, size, mtime): checked once, not per lookup.
_checked: dict[tuple[str, int, int], Shard] = {}


def read_shard(path: Path) -> Shard | None:
    """The shard at `path` if it is whole and its checksum matches; None otherwise."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key in _checked:
            return _checked[key]
        with path.open("rb") as fh:
            magic, count, dim, digest = _HEADER.unpack(fh.read(_HEADER.size))
        if magic != MAGIC or dim == 0 or stat.st_size != _HEADER.size + count * (8 + 4 * dim):
            return None
        payload = np.memmap(path, dtype=np.uint8, mode="r", offset=_HEADER.size) if count else \
            np.zeros(0, np.uint8)
        if hashlib.sha256(payload).digest() != digest:
            return None
    except (OSError, struct.error, ValueError):
        return None
    hashes = payload[: 8 * count].view(np.uint64)
    vectors = payload[8 * count:].view(np.float32).reshape(count, dim)
    shard = _checked[key] = Shard(path, hashes, vectors)
    return shard


def write_shard(folder: Path, hashes: np.ndarray, vectors: np.ndarray) -> Path:
    """Write sorted unique `hashes` and their `vectors` as a new shard (atomically)."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    digest = hashlib.sha256()
    digest.update(hashes.data)
    digest.update(vectors.data)
    target = folder / f"{digest.hexdigest()[:24]}{SUFFIX}"
    with artifacts.atomic_file(target) as tmp, tmp.open("wb") as fh:
        fh.write(_HEADER.pack(MAGIC, len(hashes), vectors.shape[1], digest.digest()))
        fh.write(hashes.data)
        fh.write(vectors.data)
    return target


class EmbeddingCache:
    """The cached embeddings of one model (its folder)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def shards(self) -> list[Shard]:
        """Every whole shard, oldest name first; damaged ones are removed with a warning."""
        found = []
        dim = None
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            shard = read_shard(path)
            if shard is not None and dim not in (None, shard.vectors.shape[1]):
                shard = None
            if shard is None:
                if path.exists():
                    warnings.warn(f"embedding cache: {path} is damaged (checksum or size does "
                                  "not match); ignored and removed, its texts are encoded again.",
                                  stacklevel=2)
                    path.unlink(missing_ok=True)
                continue
            dim = shard.vectors.shape[1]
            found.append(shard)
        return found

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(found, vectors): whether a shard holds each key, and the vectors (rows of zeros
        where not; None when the cache is empty)."""
        found = np.zeros(len(keys), dtype=bool)
        vectors = None
        for shard in self.shards():
            if vectors is None:
                vectors = np.zeros((len(keys), shard.vectors.shape[1]), dtype=np.float32)
            if not len(shard.hashes):
                continue
            at = np.minimum(np.searchsorted(shard.hashes, keys), len(shard.hashes) - 1)
            hit = (shard.hashes[at] == keys) & ~found
            vectors[hit] = shard.vectors[at[hit]]
            found |= hit
        return found, vectors

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Store the vectors of unique `keys` (a new shard; compact when there are many)."""
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        write_shard(self.folder, keys[order], vectors[order])
        shards = self.shards()
        if len(shards) > MAX_SHARDS:
            self.compact(shards)

    def compact(self, shards: list[Shard]) -> None:
        """Merge `shards` into one, then remove them."""
        keys = np.concatenate([s.hashes for s in shards])
        vectors = np.concatenate([s.vectors for s in shards])
        keys, first = np.unique(keys, return_index=True)
        merged = write_shard(self.folder, keys, vectors[first])
        for shard in shards:
            if shard.path != merged:
                shard.path.unlink(missing_ok=True)
