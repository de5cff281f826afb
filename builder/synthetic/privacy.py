"""Privacy checks on generated rows: distance to closest record, exact copies, canaries.

Distance to closest record (DCR) uses SDMetrics' distance: the mean over columns of, for numbers
and datetimes, `min(|a - b| / range, 1)` (range of the real train column), for categories
`a != b`; a value missing on one side only counts 1, on both sides 0. Computed here with numpy
in chunks (SDMetrics' own version cross-joins frames in pandas and is far slower).

The baseline is the real holdout (rows of the evaluation splits, never seen by a generator): how
close do genuinely new real rows come to the train rows? `dcr_ratio` = median DCR of the
generated rows / median DCR of the holdout rows. Near 1 means generated rows sit as far from the
train rows as new real data does; near 0 means they hug (or copy) train rows.

Canaries: marker values are planted in the PII columns of a few copied train rows that a
generator is fitted on; none may appear in anything it generates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from builder.columns import column_kind, numeric_values

#: Rows of generated or holdout data measured (a seeded sample when there are more).
MAX_ROWS = 3000
_CHUNK = 256


@dataclass
class Encoded:
    """Rows as a float matrix (numbers) and an int matrix (category codes, -1 = missing)."""

    numbers: np.ndarray
    codes: np.ndarray


def encode(frames: list[pd.DataFrame], columns: list[str], kinds: dict[str, str]) -> list[Encoded]:
    """Encode several frames over the same columns with shared category codes."""
    numeric = [c for c in columns if kinds[c] != "categorical"]
    categorical = [c for c in columns if kinds[c] == "categorical"]
    encoded_numbers = [np.column_stack([numeric_values(f[c]) for c in numeric]) if numeric
                       else np.zeros((len(f), 0)) for f in frames]
    code_columns: list[list[np.ndarray]] = [[] for _ in frames]
    for column in categorical:
        joined = pd.concat([f[column].astype(object) for f in frames], ignore_index=True)
        text = joined.astype(str).where(joined.notna(), None)
        codes, _ = pd.factorize(text, use_na_sentinel=True)
        start = 0
        for i, f in enumerate(frames):
            code_columns[i].append(codes[start:start + len(f)])
            start += len(f)
    return [Encoded(encoded_numbers[i],
                    np.column_stack(code_columns[i]) if categorical
                    else np.zeros((len(f), 0), dtype=np.int64))
            for i, f in enumerate(frames)]


def distances_to_closest(data: Encoded, reference: Encoded) -> np.ndarray:
    """For each row of `data`, the distance to its closest row of `reference` (0..1)."""
    n_columns = data.numbers.shape[1] + data.codes.shape[1]
    with np.errstate(all="ignore"):
        spans = np.nanmax(reference.numbers, axis=0) - np.nanmin(reference.numbers, axis=0)
    # Scaled by the reference range, a difference is compared with 1 directly; a zero range
    # makes any difference count 1.
    scale = np.where(spans > 0, spans, np.nan)
    ours = (data.numbers / scale).astype(np.float32)
    theirs = (reference.numbers / scale).astype(np.float32)
    constant = ~(spans > 0)
    ours[:, constant] = data.numbers[:, constant]
    theirs[:, constant] = reference.numbers[:, constant]
    ours_missing, theirs_missing = np.isnan(data.numbers), np.isnan(reference.numbers)
    result = np.empty(len(ours))
    for start in range(0, len(ours), _CHUNK):
        stop = min(start + _CHUNK, len(ours))
        total = np.zeros((stop - start, len(theirs)), dtype=np.float32)
        for j in range(ours.shape[1]):
            part = np.abs(ours[start:stop, j][:, None] - theirs[:, j][None, :])
            if constant[j]:
                part = (part > 0).astype(np.float32)
            else:
                np.minimum(part, 1.0, out=part)
            a_missing = ours_missing[start:stop, j]
            b_missing = theirs_missing[:, j]
            if a_missing.any() or b_missing.any():
                either = a_missing[:, None] | b_missing[None, :]
                part[either] = (a_missing[:, None] ^ b_missing[None, :])[either]
            total += part
        for j in range(data.codes.shape[1]):
            total += data.codes[start:stop, j][:, None] != reference.codes[:, j][None, :]
        result[start:stop] = total.min(axis=1) / max(n_columns, 1)
    return result


def row_hashes(frame: pd.DataFrame, columns: list[str], kinds: dict[str, str]) -> np.ndarray:
    """A hash per row over `columns`, equal for equal values whatever the dtype."""
    normal = {}
    for column in columns:
        series = frame[column]
        if kinds[column] == "categorical":
            normal[column] = series.astype(object).where(series.notna(), None).astype(str)
        else:
            normal[column] = pd.Series(numeric_values(series), index=frame.index)
    return pd.util.hash_pandas_object(pd.DataFrame(normal), index=False).to_numpy()


def subsample(frame: pd.DataFrame, seed: int, limit: int = MAX_ROWS) -> pd.DataFrame:
    """At most `limit` rows of `frame`, chosen with a seed, in their order."""
    if len(frame) <= limit:
        return frame
    rng = np.random.default_rng(seed)
    return frame.iloc[np.sort(rng.choice(len(frame), size=limit, replace=False))]


def privacy_report(generated: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame,
                   real_all: pd.DataFrame, columns: list[str], seed: int) -> dict:
    """DCR against the holdout baseline and the share of exact copies of real rows."""
    kinds = {c: column_kind(train[c]) for c in columns}
    copies = np.isin(row_hashes(generated, columns, kinds), row_hashes(real_all, columns, kinds))
    report = {
        "rows": len(generated),
        "exact_copies": round(float(copies.mean()), 4) if len(generated) else 0.0,
        "exact_copy_rows": int(copies.sum()),
    }
    sample = subsample(generated, seed)
    frames = [sample, train] + ([subsample(holdout, seed)] if len(holdout) else [])
    encoded = encode(frames, columns, kinds)
    dcr = distances_to_closest(encoded[0], encoded[1])
    median = float(np.median(dcr)) if len(dcr) else None
    base = float(np.median(distances_to_closest(encoded[2], encoded[1]))) if len(holdout) else None
    report["dcr_median"] = None if median is None else round(median, 4)
    report["holdout_dcr_median"] = None if base is None else round(base, 4)
    report["dcr_ratio"] = (round(median / base, 4) if median is not None and base else None)
    return report


def holdout_copies(train: pd.DataFrame, holdout: pd.DataFrame, columns: list[str]) -> float | None:
    """Share of holdout rows that equal a train row: how often real data repeats itself."""
    if not len(holdout):
        return None
    kinds = {c: column_kind(train[c]) for c in columns}
    same = np.isin(row_hashes(holdout, columns, kinds), row_hashes(train, columns, kinds))
    return round(float(same.mean()), 4)


def canary_markers(columns: dict[str, pd.Series], count: int, seed: int) -> dict[str, list]:
    """`count` marker values per PII column: strings, or large integers for numeric columns."""
    markers = {}
    for name, series in columns.items():
        if pd.api.types.is_numeric_dtype(series.dtype):
            markers[name] = [987_654_000_000 + (seed % 1000) * 100 + i for i in range(count)]
        else:
            markers[name] = [f"canary-{seed:08x}-{i}" for i in range(count)]
    return markers


def plant_canaries(frame: pd.DataFrame, markers: dict[str, list], seed: int) -> pd.DataFrame:
    """`frame` plus copies of random rows whose PII columns hold the markers."""
    count = len(next(iter(markers.values())))
    rng = np.random.default_rng(seed)
    rows = frame.iloc[rng.choice(len(frame), size=count, replace=len(frame) < count)].copy()
    for name, values in markers.items():
        column = frame[name]
        planted = pd.Series(values, index=rows.index)
        rows[name] = planted.astype(column.dtype) if not isinstance(
            column.dtype, pd.CategoricalDtype) else planted.astype(object)
    combined = pd.concat([frame.astype({c: object for c in markers
                                        if isinstance(frame[c].dtype, pd.CategoricalDtype)}),
                          rows], ignore_index=True)
    return combined


def canary_hits(output: pd.DataFrame, markers: dict[str, list]) -> dict[str, int]:
    """Output rows holding a marker, per column that has any (every column is searched)."""
    words = {v for values in markers.values() for v in values if isinstance(v, str)}
    numbers = [v for values in markers.values() for v in values if not isinstance(v, str)]
    hits = {}
    for name in output.columns:
        series = output[name]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
            found = series.isin(numbers) if numbers else pd.Series(False, index=series.index)
        elif words:
            found = series.astype(str).isin(words)
        else:
            continue
        if found.any():
            hits[str(name)] = int(found.sum())
    return hits
