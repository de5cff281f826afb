"""Text and column features of one batch, each computed once and shared by every function.

The lowercased text, lengths, regex matches and lookups are cached per batch. All keyword
functions on a column share one multi-word Aho-Corasick scan of the column's Arrow buffer: the
cost is one pass over the text whatever the number of words, plus work per match.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from builder.columns import require_columns, to_arrow
from builder.errors import DataError

# ASCII letters, digits and `_`: the word characters of a regex `\b`.
_WORD_BYTE = np.zeros(256, dtype=bool)
for _chars in (b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"0123456789_"):
    _WORD_BYTE[np.frombuffer(_chars, dtype=np.uint8)] = True


class WordMatches:
    """Every occurrence of a set of words in one string column, found in a single scan."""

    def __init__(self, text: pa.Array, words: list[str]):
        import ahocorasick_rs

        self.words = words
        self.index = {w: i for i, w in enumerate(words)}
        rows = len(text)
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset: text.offset + rows + 1]
        data_buffer = text.buffers()[2]
        data = (np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None
                else np.zeros(0, dtype=np.uint8))
        base, stop = (int(offsets[0]), int(offsets[-1])) if rows else (0, 0)
        found = []
        if words and stop > base:
            automaton = ahocorasick_rs.BytesAhoCorasick([w.encode() for w in words])
            found = automaton.find_matches_as_indexes(data[base:stop], overlapping=True)
        flat = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=3 * len(found))
        word, start, end = flat.reshape(-1, 3).T
        start, end = start + base, end + base
        row = np.searchsorted(offsets, start, side="right") - 1
        row_start, row_end = offsets[row], offsets[row + 1]
        inside = end <= row_end  # a match never runs into the next row's text
        before = (start == row_start) | ~_WORD_BYTE[data[np.maximum(start - 1, 0)]]
        after = (end == row_end) | ~_WORD_BYTE[data[np.minimum(end, len(data) - 1)]]
        valid = text.is_valid().to_numpy(zero_copy_only=False) if text.null_count else None
        keep = inside if valid is None else inside & valid[np.minimum(row, rows - 1)]
        order = np.argsort(word[keep], kind="stable")
        self.rows = rows
        self.word = word[keep][order]
        self.row = row[keep][order]
        self.whole = (before & after)[keep][order]
        self.bounds = np.searchsorted(self.word, np.arange(len(words) + 1))

    def rows_with(self, word: str, whole_word: bool) -> np.ndarray:
        """Row numbers (with repeats) where `word` occurs."""
        i = self.index[word]
        lo, hi = self.bounds[i], self.bounds[i + 1]
        rows = self.row[lo:hi]
        return rows[self.whole[lo:hi]] if whole_word else rows


class BatchFeatures:
    """Lazily computed, cached features of one pandas batch."""

    def __init__(self, batch: pd.DataFrame):
        self.batch = batch
        self.rows = len(batch)
        self._cache: dict[tuple, object] = {}
        self._declared: dict[tuple[str, bool], set[str]] = {}

    def _cached(self, key: tuple, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def text(self, column: str) -> pa.Array:
        """A column as one Arrow `large_string` array."""
        def compute():
            require_columns(self.batch, [column], "labeling")
            series = self.batch[column]
            if not isinstance(series.dtype, pd.StringDtype):
                series = series.astype("string[pyarrow]")
            array = to_arrow(series).combine_chunks()
            return array.cast(pa.large_string()) if array.type != pa.large_string() else array
        return self._cached(("text", column), compute)

    def lower(self, column: str, ascii_only: bool = False) -> pa.Array:
        """The column lowercased (ASCII letters only when every word to find is ASCII)."""
        if ascii_only:
            return self._cached(("ascii_lower", column), lambda: pc.ascii_lower(self.text(column)))
        return self._cached(("lower", column), lambda: pc.utf8_lower(self.text(column)))

    def length(self, column: str) -> np.ndarray:
        """Characters per row (NaN where missing)."""
        return self._cached(("length", column), lambda: _to_float(pc.utf8_length(self.text(column))))

    def word_count(self, column: str) -> np.ndarray:
        """Whitespace-separated words per row (NaN where missing)."""
        return self._cached(("word_count", column), lambda: _to_float(
            pc.count_substring_regex(self.text(column), r"\S+")))

    def numbers(self, column: str, owner: str) -> np.ndarray:
        """A numeric column as float64 (NaN where missing)."""
        def compute():
            require_columns(self.batch, [column], owner)
            series = self.batch[column]
            if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
                raise DataError(f"{owner}: column '{column}' holds {series.dtype}, expected numbers; "
                                "use `of: length` or `of: words` for text.")
            return pd.to_numeric(series).astype("float64").to_numpy()
        return self._cached(("numbers", column), compute)

    def regex(self, column: str, pattern: str, ignore_case: bool) -> np.ndarray:
        """Whether `pattern` matches somewhere in each row (false where missing)."""
        def compute():
            try:
                found = pc.match_substring_regex(self.text(column), pattern, ignore_case=ignore_case)
            except pa.ArrowInvalid as error:
                raise DataError(f"labeling: the pattern '{pattern}' cannot run: {error}") from error
            return _to_bool(found)
        return self._cached(("regex", column, pattern, ignore_case), compute)

    def is_in(self, column: str, values: list[str], lowercase: bool) -> np.ndarray:
        """Whether each row's value (as text) is one of `values`."""
        def compute():
            text = self.lower(column) if lowercase else self.text(column)
            return _to_bool(pc.is_in(text, value_set=pa.array(values, pa.large_string())))
        return self._cached(("is_in", column, tuple(values), lowercase), compute)

    def declare_words(self, column: str, case_sensitive: bool, words: Iterable[str]) -> None:
        """Add words to the single scan of `column` (before the first `word_rows` call)."""
        self._declared.setdefault((column, case_sensitive), set()).update(words)

    def word_matches(self, column: str, case_sensitive: bool) -> WordMatches:
        """The shared scan of a column for every declared word."""
        def compute():
            words = sorted(self._declared.get((column, case_sensitive), ()))
            if case_sensitive:
                text = self.text(column)
            else:
                text = self.lower(column, ascii_only=all(w.isascii() for w in words))
            return WordMatches(text, words)
        return self._cached(("words", column, case_sensitive), compute)

    def word_rows(self, column: str, case_sensitive: bool, words: list[str], whole_word: bool,
                  mode: str) -> np.ndarray:
        """Whether any (or all) of `words` occur in each row."""
        matches = self.word_matches(column, case_sensitive)
        missing = [w for w in words if w not in matches.index]
        if missing:
            raise RuntimeError(f"words {missing} were not declared before the scan")
        if mode == "any":
            hit = np.zeros(self.rows, dtype=bool)
            for word in words:
                hit[matches.rows_with(word, whole_word)] = True
            return hit
        count = np.zeros(self.rows, dtype=np.int32)
        for word in set(words):
            present = np.zeros(self.rows, dtype=bool)
            present[matches.rows_with(word, whole_word)] = True
            count += present
        return count == len(set(words))


def _to_bool(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _to_float(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
