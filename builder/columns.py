"""Column helpers shared by steps: Arrow-backed strings, casts, stable row ids, and the table as
balance strategies and generators see it (feature columns, their kinds, generated rows).

Text columns are kept as pandas `string[pyarrow]` so that string work runs in Arrow's compute
kernels, not in Python. Generated rows (duplicates, SMOTE, synthetic) are built here (`assemble`)
so that they carry the same columns and dtypes as the real rows, a unique `_id`, and an `_origin`.

Part of the kernel: it imports no domain package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from builder.errors import DataError, require_columns  # noqa: F401 (re-exported)
from builder.rows import ID, ORIGIN, SOURCE, SPLIT, data_columns

if TYPE_CHECKING:
    from builder.recipe.schema import TaskConfig

STRING = pd.StringDtype("pyarrow")
_HEX = np.frombuffer(b"0123456789abcdef", dtype="S1")
_NIBBLE = np.zeros(256, dtype=np.uint8)
_NIBBLE[_HEX.view(np.uint8)] = np.arange(16, dtype=np.uint8)


def arrow_types_mapper(arrow_type: pa.DataType):
    """Map Arrow strings to pandas `string[pyarrow]` when converting tables to pandas."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return STRING
    return None


def table_to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a pandas frame with Arrow-backed strings and numpy numbers."""
    return table.to_pandas(types_mapper=arrow_types_mapper)


def to_arrow(series: pd.Series) -> pa.ChunkedArray:
    """The Arrow data behind a pandas column (zero-copy for `string[pyarrow]`)."""
    array = pa.array(series, from_pandas=True) if not isinstance(series.dtype, pd.StringDtype) \
        else series.array.__arrow_array__()
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def string_series(array: pa.Array | pa.ChunkedArray, index: pd.Index | None = None) -> pd.Series:
    """A `string[pyarrow]` pandas column from Arrow strings."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(array), index=index)


def repeat_string(value: str, index: pd.Index, where: np.ndarray | None = None) -> pd.Series:
    """A `string[pyarrow]` column holding `value` on every row (or where `where` is true, null
    elsewhere), built in Arrow: 10x faster than from a Python scalar or an object array."""
    positions = np.zeros(len(index), dtype=np.int32)
    taken = pa.array(positions, mask=None if where is None else ~np.asarray(where, dtype=bool))
    return string_series(pa.array([value], pa.large_string()).take(taken), index)


def cast_series(series: pd.Series, type_name: str, owner: str) -> pd.Series:
    """Cast a column to one of the recipe's cast types (see `schema.CAST_TYPES`)."""
    try:
        if type_name == "string":
            strings = series.astype(STRING)
            return strings.where(series.notna(), None)
        if type_name == "int":
            numbers = pd.to_numeric(series, errors="raise")
            if numbers.isna().any():
                return numbers.astype("Int64")
            return numbers.astype("int64")
        if type_name == "float":
            return pd.to_numeric(series, errors="raise").astype("float64")
        if type_name == "bool":
            return _to_bool(series)
        if type_name == "category":
            return series.astype("category")
        if type_name == "datetime":
            return _to_datetime(series)
    except (ValueError, TypeError) as error:
        raise DataError(
            f"{owner}: cannot cast column '{series.name}' to {type_name}: "
            f"{str(error).splitlines()[0]}"
        ) from error
    raise DataError(f"{owner}: unknown cast type '{type_name}'.")


def _to_datetime(series: pd.Series) -> pd.Series:
    """Dates in one inferred format, else any ISO 8601 mix ("2026-01-02", "2026-01-02 05:06")."""
    try:
        return pd.to_datetime(series, errors="raise")
    except ValueError:
        return pd.to_datetime(series, errors="raise", format="ISO8601")


def _to_bool(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series
    words = series.astype(STRING).str.strip().str.lower()
    mapped = words.map({"true": True, "false": False, "1": True, "0": False,
                        "yes": True, "no": False, "1.0": True, "0.0": False})
    bad = series.notna() & mapped.isna()
    if bad.any():
        raise ValueError(f"found '{series[bad].iloc[0]}', expected true/false, yes/no or 1/0")
    return mapped.astype("boolean") if mapped.isna().any() else mapped.astype(bool)


def hex64(values: np.ndarray) -> pa.Array:
    """Unsigned 64-bit integers as 16-character lowercase hex strings, vectorized."""
    raw = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    nibbles = np.empty((len(values), 16), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 15
    text = _HEX[nibbles].view("S16").ravel()
    return pa.array(text, type=pa.binary(16)).cast(pa.string())


def unhex64(text: np.ndarray) -> np.ndarray:
    """16-character lowercase hex strings as unsigned 64-bit integers (`hex64`'s inverse),
    vectorized."""
    chars = np.asarray(text, dtype="S16").view(np.uint8).reshape(-1, 16)
    nibbles = _NIBBLE[chars]
    raw = np.ascontiguousarray((nibbles[:, 0::2] << 4) | nibbles[:, 1::2])
    return raw.view(">u8").ravel().astype(np.uint64)


def content_hash(df: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per row over all columns, independent of column order."""
    if df.shape[1] == 0:
        return np.zeros(len(df), dtype=np.uint64)
    ordered = df[sorted(df.columns, key=str)]
    return pd.util.hash_pandas_object(ordered, index=False, categorize=False).to_numpy()


def row_ids(df: pd.DataFrame, prefix: str, key: Sequence[str] | None, owner: str,
            hashes: np.ndarray | None = None) -> pd.Series:
    """Stable ids `<prefix>/<key values>` or `<prefix>/<content hash>[-n]` for each row
    (`hashes`: the rows' `content_hash`, when already computed)."""
    if key:
        require_columns(df, key, owner)
        parts = []
        for column in key:
            if df[column].isna().any():
                count = int(df[column].isna().sum())
                raise DataError(f"{owner}: key column '{column}' has {count} missing values; "
                                "expected a value in every row.")
            parts.append(pc.cast(to_arrow(df[column]), pa.string()))
        joined = pc.binary_join_element_wise(pa.scalar(prefix), *parts, "/")
        ids = string_series(joined, df.index)
        # One key column: its cast to text is one-to-one, so ids repeat exactly where the
        # column does, and checking the column (often numbers) is much faster than the ids.
        duplicated = df[key[0]].duplicated() if len(key) == 1 else ids.duplicated()
        if duplicated.any():
            examples = ", ".join(ids[duplicated].head(3))
            raise DataError(
                f"{owner}: key {list(key)} is not unique: {int(duplicated.sum())} repeated "
                f"values, e.g. {examples}. Expected one row per key: add columns to `key`, or "
                "leave `key` out to identify rows by a hash of their content."
            )
        return ids
    hashes = content_hash(df) if hashes is None else hashes
    text = hex64(hashes)
    occurrence = pd.Series(hashes).groupby(hashes).cumcount().to_numpy()
    repeated = occurrence > 0
    if repeated.any():
        suffix = np.where(repeated, np.char.add("-", occurrence.astype(str)), "")
        text = pc.binary_join_element_wise(text, pa.array(suffix, pa.string()), "")
    return string_series(pc.binary_join_element_wise(prefix, text, "/"), df.index)


def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit moves every output bit (uint64, wrapping)."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return values ^ (values >> np.uint64(31))


def _column_salt(name: str) -> np.uint64:
    import hashlib

    return np.uint64(int.from_bytes(hashlib.sha256(str(name).encode()).digest()[:8], "little"))


def value_hashes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(uint64 hash, present) per value, equal for equal values whatever the dtype holding them:
    numbers and booleans as float64 (so 5, 5.0 and Int64 5 agree), datetimes as nanoseconds,
    anything else as its text."""
    dtype = series.dtype
    if (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)) and \
            not isinstance(dtype, pd.CategoricalDtype):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan) + 0.0  # -0.0 -> 0.0
        present = ~np.isnan(numbers)
        return _mix64(numbers.view(np.uint64)), present
    if pd.api.types.is_datetime64_any_dtype(dtype):
        present = series.notna().to_numpy()
        nanos = series.to_numpy(dtype="datetime64[ns]").view(np.int64).astype(np.uint64)
        return _mix64(nanos ^ np.uint64(0x5DEECE66D)), present
    text = to_arrow(series)
    if not _is_binary(text.type):  # bytes (encoded images) are hashed as they are
        text = pc.cast(text, pa.string())
    present = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if _repetitive(text):  # hash each distinct value once (categories, short codes)
        encoded = pc.dictionary_encode(text).combine_chunks()
        distinct = text_hashes(encoded.dictionary)
        indices = pc.fill_null(encoded.indices, 0).to_numpy()
        return distinct[indices] if len(distinct) else np.zeros(len(text), np.uint64), present
    # In slices: a slice's Python objects (about 100 bytes each) are freed before the next.
    hashes = [text_hashes(text.slice(start, HASH_SLICE))
              for start in range(0, len(text), HASH_SLICE)]
    return (np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)), present


#: Text values hashed at a time (as Python objects, which `pandas.util.hash_array` needs).
HASH_SLICE = 65536


def text_hashes(values: pd.Series | pa.Array | pa.ChunkedArray,
                hash_key: str | None = None) -> np.ndarray:
    """pandas' 64-bit hash of each text value (`pandas.util.hash_pandas_object` of the strings,
    optionally keyed), computed from their UTF-8 bytes: pandas hashes a string's UTF-8 bytes,
    so the numbers are the same, in half the time (no `str` objects to make and encode)."""
    text = to_arrow(values.astype(STRING)) if isinstance(values, pd.Series) else values
    if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type) and \
            not _is_binary(text.type):
        text = pc.cast(text, pa.string())
    binary = pa.large_binary() if pa.types.is_large_string(text.type) or \
        pa.types.is_large_binary(text.type) else pa.binary()
    objects = text.cast(binary).to_numpy(zero_copy_only=False)
    keyed = {} if hash_key is None else {"hash_key": hash_key}
    return pd.util.hash_array(objects, categorize=False, **keyed)


def _is_binary(kind: pa.DataType) -> bool:
    return pa.types.is_binary(kind) or pa.types.is_large_binary(kind)


def seeded_hashes(values: pd.Series, seed: int, salt: str) -> np.ndarray:
    """A 64-bit hash per text value, keyed by `salt` and `seed`: the same value, salt and seed
    always give the same number, and each salt (a step's name) gives its own numbers."""
    import hashlib

    key = hashlib.sha256(f"{salt}/{seed}".encode()).hexdigest()[:16]
    return text_hashes(values, hash_key=key)


def unit_hashes(values: pd.Series, seed: int, salt: str) -> np.ndarray:
    """A number in [0, 1) per text value, from its `seeded_hashes` (53 bits, a float's precision)."""
    hashes = seeded_hashes(values, seed, salt)
    return (hashes >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _repetitive(text: pa.ChunkedArray, probe: int = 1000) -> bool:
    """Whether a text column repeats its values a lot, judged from its first `probe` values:
    then dictionary-encoding it is cheaper than hashing every value (mostly unique text, where
    encoding costs more than it saves, is hashed value by value)."""
    head = text.slice(0, probe)
    return len(head) > 0 and pc.count_distinct(head).as_py() * 4 <= len(head)


def row_keys(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A 64-bit key per row over `columns` that is the same for rows with the same values,
    independent of column order, of dtypes and of partitioning; a column the frame lacks counts
    as missing. What `dedup` compares across partitions."""
    keys = np.zeros(len(df), dtype=np.uint64)
    for column in columns:
        if column not in df.columns:
            continue
        hashes, present = value_hashes(df[column])
        with np.errstate(over="ignore"):
            keys += np.where(present, _mix64(hashes ^ _column_salt(column)), np.uint64(0))
    return _mix64(keys)


def feature_columns(df: pd.DataFrame, task: TaskConfig) -> list[str]:
    """The columns models learn from: the task's features (and text), else every data column."""
    if task.features is not None:
        columns = list(task.features)
        if task.text and task.text not in columns:
            columns.insert(0, task.text)
        return columns
    return data_columns(list(df.columns), task.label)


def column_kind(series: pd.Series) -> str:
    """`numeric`, `datetime` or `categorical` (strings, categories and booleans)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "categorical"


def numeric_values(series: pd.Series) -> np.ndarray:
    """A numeric or datetime column as float64, NaN for missing (datetimes as nanoseconds since
    the epoch, in UTC); anything that is not a number is missing."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = series.to_numpy(dtype="datetime64[ns]").view("int64").astype(np.float64)
        return np.where(series.isna().to_numpy(), np.nan, stamps)
    return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()


def conform(new: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """`new`'s columns cast to the dtypes of the same columns in `like` (integers rounded)."""
    out = {}
    for column in new.columns:
        values = new[column]
        if column not in like.columns:
            out[column] = values
            continue
        dtype = like[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            # Values the real rows lack (SDV's fakes of a PII column) become new categories.
            plain = values.astype(object).where(values.notna(), None)
            extra = pd.Index(plain.dropna().unique()).difference(dtype.categories)
            out[column] = pd.Categorical(plain, categories=dtype.categories.append(extra))
        elif pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_integer_dtype(values):
            numbers = pd.to_numeric(values).round()
            out[column] = numbers.astype(dtype if not numbers.isna().any() else "Int64")
        elif pd.api.types.is_bool_dtype(dtype) and not pd.api.types.is_bool_dtype(values):
            out[column] = _bool_like(values, dtype)
        elif isinstance(dtype, pd.StringDtype):
            out[column] = values.astype(object).where(values.notna(), None).astype(dtype)
        else:
            out[column] = values.astype(dtype)
    return pd.DataFrame(out, index=new.index)


def _bool_like(values: pd.Series, dtype) -> pd.Series:
    text = values.astype("string").str.lower()
    flags = text.isin(["true", "1", "1.0", "yes"]).astype("boolean").mask(values.isna())
    return flags.astype("boolean" if flags.isna().any() else dtype)


def assemble(features: pd.DataFrame, like: pd.DataFrame, *, label: str, classes: Sequence[str],
             origin: str, ids: Sequence[str], source: str | pd.Series, split: str) -> pd.DataFrame:
    """Generated rows as rows of `like`: its columns and dtypes, bookkeeping columns null (flag
    columns false).

    `features` holds the generated feature values; `classes` each row's class.
    """
    n = len(features)
    index = pd.RangeIndex(n)
    frame = conform(features.reset_index(drop=True), like)
    frame[label] = pd.Series(list(classes), index=index, dtype=like[label].dtype)
    frame[ID] = pd.Series(list(ids), index=index, dtype=STRING)
    if isinstance(source, pd.Series):
        frame[SOURCE] = source.reset_index(drop=True).astype(like[SOURCE].dtype)
    else:
        frame[SOURCE] = pd.Series(source, index=index, dtype=like[SOURCE].dtype)
    frame[SPLIT] = pd.Categorical([split] * n, categories=like[SPLIT].cat.categories)
    frame[ORIGIN] = pd.Series(origin, index=index, dtype=STRING)
    for column in like.columns:
        if column in frame.columns:
            continue
        if like[column].dtype == bool:  # flags such as lf_conflict: a made row raised none
            frame[column] = np.zeros(n, dtype=bool)
        else:
            empty = like[column].iloc[:0].astype(_nullable(like[column].dtype))
            frame[column] = empty.reset_index(drop=True).reindex(index)
    return frame[list(like.columns)]


def _nullable(dtype) -> object:
    """A dtype that can hold nulls and values of `dtype`."""
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.Int64Dtype):
        return "Int64"
    return dtype


def sequence_ids(prefix: str, count: int) -> list[str]:
    """`prefix/000001`, `prefix/000002`, ...: ids for generated rows, stable across builds."""
    numbers = pd.Series(np.arange(1, count + 1)).astype(str).str.zfill(6)
    return (prefix + "/" + numbers).tolist()


def concat_rows(frames: list[pd.DataFrame], like: pd.DataFrame) -> pd.DataFrame:
    """Concatenate frames of `like`'s shape without losing dtypes (categories are unioned)."""
    frames = [f for f in frames if len(f)] or [like.iloc[:0]]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    combined = pd.concat(frames, ignore_index=True)
    for column in like.columns:
        dtype = like[column].dtype
        if combined[column].dtype != dtype:
            if isinstance(dtype, pd.CategoricalDtype):
                categories = dtype.categories
                for frame in frames:
                    if isinstance(frame[column].dtype, pd.CategoricalDtype):
                        extra = frame[column].cat.categories.difference(categories)
                        categories = categories.append(extra)
                combined[column] = pd.Categorical(combined[column], categories=categories)
            elif all(f[column].dtype == dtype for f in frames):
                combined[column] = combined[column].astype(dtype)
    return combined
