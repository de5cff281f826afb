"""Image hashes: exact (of the encoded bytes) and perceptual (of the pixels, `imagehash`), and
the near-duplicate keep mask `dedup_images` computes over the whole table."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

import numpy as np

#: Perceptual hash functions of `imagehash` that `dedup_images` may name (64-bit each).
PERCEPTUAL = ("phash", "dhash", "average_hash", "whash")


def exact_hashes(images: Sequence[bytes | None]) -> np.ndarray:
    """A 64-bit hash per encoded image (blake2b of its bytes; 0 for a missing one)."""
    out = np.zeros(len(images), dtype=np.uint64)
    for i, data in enumerate(images):
        if data is not None:
            out[i] = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")
    return out


def perceptual_hashes(images: Sequence[bytes | None], kind: str = "phash") -> np.ndarray:
    """A 64-bit perceptual hash per encoded image (8x8 bits of `imagehash.<kind>`); 0 for a
    missing one. Images whose hashes differ in few bits look alike."""
    if kind == "phash":
        return batched_phashes(images)
    import imagehash
    from PIL import Image

    function = getattr(imagehash, kind)
    out = np.zeros(len(images), dtype=np.uint64)
    for i, data in enumerate(images):
        if data is None:
            continue
        with Image.open(io.BytesIO(data)) as image:
            bits = function(image).hash.ravel()
        out[i] = int.from_bytes(np.packbits(bits).tobytes(), "big")
    return out


def batched_phashes(images: Sequence[bytes | None]) -> np.ndarray:
    """`imagehash.phash` of each image, its steps as imagehash 4.3.2 takes them (grey, 32x32
    Lanczos, a 2-D DCT-II, the 8x8 low frequencies above their median), with the DCTs and
    medians of all images done at once: the same bits, in two thirds of the time
    (`tests/images/test_transforms.py` compares them)."""
    import scipy.fftpack
    from PIL import Image

    pixels = np.zeros((len(images), 32, 32), dtype=np.uint8)
    present = np.zeros(len(images), dtype=bool)
    for i, data in enumerate(images):
        if data is None:
            continue
        with Image.open(io.BytesIO(data)) as image:
            small = image.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
        pixels[i] = np.asarray(small)
        present[i] = True
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=1), axis=2)[:, :8, :8]
    median = np.median(dct.reshape(len(images), 64), axis=1)
    bits = (dct.reshape(len(images), 64) > median[:, None])
    packed = np.packbits(bits, axis=1)
    out = packed.view(">u8").ravel().astype(np.uint64) if len(images) else \
        np.zeros(0, dtype=np.uint64)
    return np.where(present, out, np.uint64(0))


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bits that differ between 64-bit hashes, element-wise."""
    return np.bitwise_count(np.bitwise_xor(a, b))


def near_pairs(hashes: np.ndarray, threshold: int) -> np.ndarray:
    """Pairs `(i, j)`, i < j, of positions whose hashes differ in at most `threshold` bits, as
    an (n, 2) array sorted by j then i.

    Pigeonhole banding: the 64 bits are cut into `threshold + 1` bands, and two hashes within
    `threshold` bits agree on at least one band, so only rows sharing a band's value are
    compared (a table of distinct images compares almost nothing)."""
    n = len(hashes)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    bands = threshold + 1
    edges = np.linspace(0, 64, bands + 1).astype(int)
    found = []
    for low, high in zip(edges, edges[1:]):
        mask = np.uint64((1 << (high - low)) - 1)
        values = (hashes >> np.uint64(low)) & mask
        order = np.argsort(values, kind="stable")
        ordered = values[order]
        starts = np.flatnonzero(np.diff(ordered, prepend=ordered[0] ^ np.uint64(1)))
        sizes = np.diff(np.append(starts, n))
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            members = np.sort(order[start:start + size])
            i, j = np.triu_indices(len(members), k=1)
            left, right = members[i], members[j]
            close = hamming(hashes[left], hashes[right]) <= threshold
            found.append(np.stack([left[close], right[close]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.unique(np.concatenate(found), axis=0)
    return pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]


def near_duplicate_mask(hashes: np.ndarray, threshold: int) -> np.ndarray:
    """Which rows to keep: a row is dropped when an earlier kept row's hash is within
    `threshold` bits of its own (the first of each group of look-alikes stays)."""
    keep = np.ones(len(hashes), dtype=bool)
    for i, j in near_pairs(hashes, threshold):  # few pairs: only look-alikes
        if keep[i]:
            keep[j] = False
    return keep


def near_copies(candidates: np.ndarray, references: np.ndarray, threshold: int) -> np.ndarray:
    """Which `candidates` lie within `threshold` bits of any of `references` (e.g. train rows
    against test rows)."""
    if not len(candidates) or not len(references):
        return np.zeros(len(candidates), dtype=bool)
    both = np.concatenate([references, candidates])
    pairs = near_pairs(both, threshold)
    hit = np.zeros(len(both), dtype=bool)
    cross = (pairs[:, 0] < len(references)) & (pairs[:, 1] >= len(references))
    hit[pairs[cross, 1]] = True
    return hit[len(references):]
