"""Image transforms: `dedup_images` (exact and near copies), `resize`, `convert`, and `filter`
on the image columns."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from builder.images.hashing import hamming, near_duplicate_mask, near_pairs
from tests.images.conftest import near_copy, png, write


def test_near_pairs_match_brute_force():
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 2**63, 400, dtype=np.uint64)
    hashes[100] = hashes[7] ^ np.uint64(0b1011)  # 3 bits apart
    hashes[200] = hashes[7] ^ np.uint64(1 << 60)  # 1 bit apart
    for threshold in (0, 3, 8):
        i, j = np.triu_indices(len(hashes), k=1)
        close = hamming(hashes[i], hashes[j]) <= threshold
        expected = sorted(zip(i[close].tolist(), j[close].tolist()))
        assert sorted(map(tuple, near_pairs(hashes, threshold).tolist())) == expected
    assert not near_duplicate_mask(hashes, 3)[[100, 200]].any()


def test_dedup_images_drops_exact_and_near_copies(folder, ingest):
    write(folder / "dog" / "exact.png", (folder / "cat" / "0.png").read_bytes())
    write(folder / "dog" / "near.png", near_copy((folder / "cat" / "1.png").read_bytes()))
    transform = "unique: {type: dedup_images, threshold: 8}"
    frame, metrics = ingest("pics: {type: imagefolder, path: imgs}", transform)
    assert sorted(frame["file"]) == [f"{c}/{i}.png" for c in ("cat", "dog") for i in range(3)]
    assert metrics["steps"][0] | {} == {"name": "unique", "type": "dedup_images",
                                       "rows_in": 8, "rows_out": 6}
    exact_only, _ = ingest("pics: {type: imagefolder, path: imgs}",
                           "unique: {type: dedup_images, threshold: 0}")
    assert "dog/near.png" in set(exact_only["file"]) and len(exact_only) == 7


def test_dedup_images_across_partitions(folder, ingest, monkeypatch):
    import builder.sources.imagefolder as imagefolder

    write(folder / "dog" / "near.png", near_copy((folder / "cat" / "1.png").read_bytes()))
    monkeypatch.setattr(imagefolder, "FILES_PER_PIECE", 2)
    frame, _ = ingest("pics: {type: imagefolder, path: imgs}",
                      "unique: {type: dedup_images, threshold: 8}")
    assert "dog/near.png" not in set(frame["file"]) and len(frame) == 6


def test_resize_and_convert(folder, ingest):
    write(folder / "cat" / "big.png", png(42, size=64))
    frame, _ = ingest("pics: {type: imagefolder, path: imgs}", """
        small: {type: resize, max_side: 8, format: JPEG}
        grey: {type: convert, mode: L}
    """)
    big = frame[frame["file"] == "cat/big.png"].iloc[0]
    image = Image.open(io.BytesIO(big["image"]))
    assert (image.format, image.size, image.mode) == ("JPEG", (8, 8), "L")
    assert (big["width"], big["height"], big["mode"]) == (8, 8, "L")


def test_filter_on_width_and_mode(folder, ingest):
    write(folder / "cat" / "big.png", png(42, size=64))
    write(folder / "dog" / "grey.png", png(43, mode="L"))
    frame, _ = ingest("pics: {type: imagefolder, path: imgs}",
                      "sized: {type: filter, query: \"width >= 32 or mode == 'L'\"}")
    assert sorted(frame["file"]) == ["cat/big.png", "dog/grey.png"]


def test_rebuild_is_byte_identical(folder, ingest, project):
    from builder.partitions import read_artifact  # noqa: F401

    steps = """
        small: {type: resize, max_side: 8}
        unique: {type: dedup_images}
    """
    ingest("pics: {type: imagefolder, path: imgs}", steps)
    parts = sorted((project.data("t") / "ingested").glob("part-*"))
    first = [p.read_bytes() for p in parts]
    ingest("pics: {type: imagefolder, path: imgs}", steps)
    assert [p.read_bytes() for p in parts] == first


def test_row_keys_hash_image_bytes():
    """Steps that key rows over every data column (`dedup`, the split's duplicates report)
    hash encoded images as bytes."""
    import pandas as pd

    from builder.columns import row_keys

    frame = pd.DataFrame({"image": [png(1), png(2), png(1), None], "n": [1, 1, 1, 1]})
    keys = row_keys(frame, ["image", "n"])
    assert keys[0] == keys[2] and len({keys[0], keys[1], keys[3]}) == 3


def test_batched_phash_is_imagehash_phash():
    """`batched_phashes` gives imagehash.phash's bits for every image (RGB, grey, sizes)."""
    import imagehash
    from PIL import Image

    from builder.images.hashing import batched_phashes

    images = [png(i, size=s, mode=m) for i in range(40) for s, m in ((16, "RGB"), (37, "L"))]
    images += [near_copy(images[0]), None]
    expected = [0 if d is None else int.from_bytes(np.packbits(
        imagehash.phash(Image.open(io.BytesIO(d))).hash.ravel()).tobytes(), "big")
        for d in images]
    assert batched_phashes(images).tolist() == expected
