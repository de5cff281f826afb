"""Ids of repeated rows across parts: content ids (`<source>/<hash>[-n]`, sources without
`key`) number a row's repeats across the whole source, not only within the part that read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from builder.columns import STRING, hex64, string_series, unhex64

if TYPE_CHECKING:
    from builder.sources.parts import PartResult


def renumbering(parts: list[PartResult]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each part holding rows whose content hash occurred in earlier parts of the same
    source: (those hashes, how many times each occurred before). Their ids' occurrence numbers
    are shifted by that much, so that they count across the whole source."""
    fixes = {}
    for source in dict.fromkeys(p.source for p in parts):
        mine = [p for p in parts if p.source == source and p.id_hashes is not None]
        if len(mine) < 2:
            continue
        uniques = [np.unique(p.id_hashes, return_counts=True) for p in mine]
        every = np.concatenate([u for u, _ in uniques])
        values, seen = np.unique(every, return_counts=True)
        repeated = values[seen > 1]
        if not len(repeated):
            continue
        before = dict.fromkeys(repeated.tolist(), 0)
        for part, (hashes, counts) in zip(mine, uniques):
            shared = np.isin(hashes, repeated)
            offsets = np.array([before[h] for h in hashes[shared].tolist()], dtype=np.int64)
            if (offsets > 0).any():
                fixes[part.name] = (hashes[shared][offsets > 0], offsets[offsets > 0])
            for h, n in zip(hashes[shared].tolist(), counts[shared].tolist()):
                before[h] += n
    return fixes


def renumbered_ids(ids: pd.Series, source: str, hashes: np.ndarray,
                   offsets: np.ndarray) -> pd.Series:
    """Content ids `<source>/<hash>[-n]` whose hash is in `hashes`, with `n` raised by the
    matching offset."""
    import pyarrow as pa
    import pyarrow.compute as pc

    start = len(source) + 1
    text = pc.cast(pa.array(ids.astype(STRING)), pa.string())
    hexes = pc.utf8_slice_codeunits(text, start, start + 16).to_numpy(zero_copy_only=False)
    values = unhex64(hexes)
    if not len(hashes):
        return ids
    order = np.argsort(hashes)
    known, raise_by = hashes[order], offsets[order]
    found = np.minimum(np.searchsorted(known, values), len(known) - 1)
    shift = np.where(known[found] == values, raise_by[found], 0).astype(np.int64)
    if not shift.any():
        return ids
    tails = pc.utf8_slice_codeunits(text, start + 17, 1 << 30)
    numbers = pc.cast(pc.if_else(pc.equal(tails, ""), "0", tails), pa.int64())
    number = numbers.to_numpy(zero_copy_only=False) + shift
    suffix = np.where(number > 0, np.char.add("-", number.astype(str)), "")
    joined = pc.binary_join_element_wise(pc.binary_join_element_wise(
        source, hex64(values), "/"), pa.array(suffix, pa.string()), "")
    return string_series(joined, ids.index)
