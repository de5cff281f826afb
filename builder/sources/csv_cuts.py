"""Stable cuts of a CSV file into byte ranges of whole records, for `type: csv`.

A file is cut at fixed offsets from its start (multiples of the cut size); a piece holds the
records whose first byte lies between two offsets. Where a record starts depends only on the
bytes before it, so appending rows changes the last piece and adds new ones: earlier pieces keep
their bytes, and the partition cache keeps them (`builder.cache`).

A record starts after a line feed outside quotes. With `newlines_in_values` (quoted values may
hold line breaks), "outside quotes" is the parity of the quote characters before the line feed,
which is exactly pyarrow's quoting when every quote that opens a quoted section stands at the
start of a field (after a delimiter, a line break, another quote, or the file's start). A file
with a quote elsewhere (`5" screen` in an unquoted value, a literal quote to pyarrow) before the
last cut is not cut: it stays one piece, read as a stream.
"""

from __future__ import annotations

import codecs
from pathlib import Path

#: Bytes scanned at once when looking for record starts.
SCAN_BYTES = 1 << 23
QUOTE, LF, CR = ord('"'), ord("\n"), ord("\r")


def cuttable_encoding(encoding: str, delimiter: str) -> bool:
    """Whether the bytes of records in `encoding` can be cut by looking for ASCII line feeds,
    quotes and delimiters (not UTF-16/32, nor the stateful ISO-2022 and HZ encodings)."""
    try:
        name = codecs.lookup("utf-8" if encoding == "utf8" else encoding).name
    except LookupError:
        return False
    if name.startswith(("utf-16", "utf-32", "iso2022", "hz", "utf-7")):
        return False
    return all(c.encode(name) == c.encode("ascii") for c in ('\n', '"', delimiter)
               if c.isascii())


def record_ranges(path: Path, cut: int, quoted: bool,
                  delimiter: str) -> list[tuple[int, int]] | None:
    """Byte ranges `[begin, end)` of `path`, one per offset `k * cut`: the records whose first
    byte lies in `[k * cut, (k + 1) * cut)` (ranges holding no record start are left out).
    None when the file cannot be cut (see the module's docstring)."""
    import numpy as np

    size = path.stat().st_size
    pending = np.arange(cut, size, cut, dtype=np.int64)
    starts_found: list[np.ndarray] = []
    field_start = np.zeros(256, dtype=bool)  # the bytes an opening quote may follow
    field_start[[ord(delimiter), LF, CR, QUOTE]] = True
    parity, prev, offset = 0, LF, 0
    with path.open("rb") as fh:
        while len(pending) and (data := fh.read(SCAN_BYTES)):
            a = np.frombuffer(data, np.uint8)
            lines = np.flatnonzero(a == LF)
            if quoted:
                quotes = np.flatnonzero(a == QUOTE)
                openers = quotes[parity::2]
                before = a[np.maximum(openers - 1, 0)]
                before[openers == 0] = prev
                if not field_start[before].all():
                    return None
                lines = lines[(np.searchsorted(quotes, lines) & 1) == parity]
                parity = (parity + len(quotes)) % 2
            starts = offset + lines.astype(np.int64) + 1
            at = np.searchsorted(starts, pending)
            found = at < len(starts)
            starts_found.append(starts[at[found]])
            pending = pending[~found]
            prev, offset = int(a[-1]), offset + len(data)
    bounds = [0, *(int(s) for part in starts_found for s in part), *[size] * len(pending), size]
    return [(b, e) for b, e in zip(bounds, bounds[1:]) if b < e]


def read_range(path: Path, begin: int, end: int) -> bytes:
    """The bytes `[begin, end)` of a file."""
    with path.open("rb") as fh:
        fh.seek(begin)
        return fh.read(end - begin)
