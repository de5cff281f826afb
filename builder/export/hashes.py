"""The identity of a published dataset: one sha256 over its shards' sha256s (`content_hash`),
and each split's `Dataset` fingerprint from it (`split_fingerprint`)."""

from __future__ import annotations

import hashlib


def content_hash(checksums: dict[str, str]) -> str:
    """One sha256 over the shards' sha256s: the identity of the dataset's content."""
    lines = "".join(f"{path} {digest}\n" for path, digest in sorted(checksums.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def split_fingerprint(checksums: dict[str, str]) -> str:
    """A split's `Dataset` fingerprint from its shards' sha256s, so the same rows give the same
    `state.json` (and `datasets` caches key on content, not on build time)."""
    return content_hash(checksums)[:16]
