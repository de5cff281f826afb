"""Splitting: assign each row to a named split from a hash of its id and the seed.

A row's split depends only on its own `_id` (or its group's value) and the seed, never on the
other rows, so adding data never moves a row from one split to another and the test split stays
comparable across builds. Each row of each class lands in split `s` with probability equal to
its fraction: classes are split in the declared proportions in expectation (stratified
Bernoulli sampling); `stratify: true` reports the realised shares per class and warns when a
class is missing from a split.

Each partition is split on its own (rows grouped by split within it, in their order); the
driver sums the partitions' counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from builder import artifacts
from builder.columns import require_columns, table_to_pandas, text_hashes, unit_hashes
from builder.partitions import append_column, read_table, write_part
from builder.rows import ID, SOURCE, SPLIT, data_columns

if TYPE_CHECKING:
    from builder.context import Context
    from builder.partitions import Partitions


def assign(keys: pd.Series, fractions: dict[str, float], seed: int) -> pd.Categorical:
    """The split of each row: thresholds over `unit_hashes` of its key, in the declared split
    order."""
    position = unit_hashes(keys, seed, "split")
    names = list(fractions)
    bounds = np.cumsum([fractions[n] for n in names])
    bounds[-1] = 1.0  # fractions sum to 1 up to rounding; never leave a row without a split
    codes = np.searchsorted(bounds, position, side="right")
    return pd.Categorical.from_codes(np.minimum(codes, len(names) - 1), categories=names)


def split_keys(df: pd.DataFrame, group: str | None, unkeyed: list[str] = ()) -> pd.Series:
    """What is hashed: the group column (a row without a group is its own group) or the row's
    id. The id of a row from a source without `key:` is its content hash, `<source>/<hash>`,
    taken before the occurrence counter (`-1`, `-2`, ...) that tells repeated rows apart:
    exact duplicates land in the same split."""
    ids = df[ID]
    if unkeyed and SOURCE in df.columns:
        ids = content_ids(ids, df[SOURCE].isin(unkeyed).to_numpy())
    if group is None:
        return ids
    require_columns(df, [group], "split.group")
    groups = df[group].astype("string[pyarrow]")
    return ("group:" + groups).fillna("row:" + ids)


def content_ids(ids: pd.Series, mask: np.ndarray) -> pd.Series:
    """`ids` with the occurrence counter of content ids (`<source>/<16 hex>-<n>`) removed
    where `mask` is true."""
    import pyarrow.compute as pc

    from builder.columns import string_series, to_arrow

    if not mask.any():
        return ids
    text = pc.cast(to_arrow(ids), pa.string())
    stripped = pc.replace_substring_regex(text, r"^([^/]*/[0-9a-f]{16})-[0-9]+$", r"\1")
    return string_series(pc.if_else(pa.array(mask), stripped, text), ids.index)


def class_counts(df: pd.DataFrame, label: str, splits: list[str]) -> dict[str, np.ndarray]:
    """Rows per class (present in `df`) and split: {class: counts in split order}."""
    classes, names = pd.factorize(df[label], sort=True)  # -1 where the label is missing
    split_codes = pd.Categorical(df[SPLIT], categories=splits).codes
    known = classes >= 0
    flat = np.bincount(classes[known] * len(splits) + split_codes[known],
                       minlength=len(names) * len(splits))
    return {str(n): row for n, row in zip(names, flat.reshape(len(names), len(splits)))}


def class_shares(counts: dict[str, np.ndarray], splits: list[str]) -> dict[str, Any]:
    """Rows per split and class, and each class's realised share of each split."""
    names = sorted(counts)
    table = pd.DataFrame([counts[n] for n in names], index=names, columns=splits, dtype="int64")
    shares = table.div(table.sum(axis=1), axis=0).round(4)
    return {
        "counts": {s: {c: int(n) for c, n in table[s].items()} for s in splits},
        "shares": {c: shares.loc[c].to_dict() for c in shares.index},
    }


def split_part(name: str, ctx: Context, source: Path, out: Path) -> dict[str, Any]:
    """One partition: each row's split, rows grouped by split (stable), and its counts.

    Done on the Arrow table: only the columns the split reads go through pandas."""
    config = ctx.recipe.split
    label = ctx.recipe.task.label
    splits = list(config.fractions)
    table = read_table(source / name)
    if config.group is not None:
        require_columns(table.column_names, [config.group], "split.group")
    unkeyed = [n for n, source in ctx.recipe.sources.items() if not source.key]
    identifiers = [c for source in ctx.recipe.sources.values() for c in source.key or []]
    df = table_to_pandas(table.select([c for c in (ID, SOURCE, config.group, label)
                                       if c is not None and c in table.column_names]))
    split = assign(split_keys(df, config.group, unkeyed), config.fractions,
                   ctx.recipe.split_seed)
    codes = np.asarray(split.codes)
    order = np.argsort(codes, kind="stable")
    column = pa.DictionaryArray.from_arrays(pa.array(codes[order]), pa.array(splits))
    table = append_column(table.take(order), SPLIT, column,
                          pd.CategoricalDtype(splits))
    write_part(table, out / name, groups=SPLIT)
    # The counts do not depend on the order: taken from `df` and `codes` as they were.
    result: dict[str, Any] = {"rows": np.bincount(codes, minlength=len(splits)),
                              "contents": content_keys(table, codes, order, identifiers,
                                                      len(splits))}
    if label in df.columns and df[label].notna().any():
        df[SPLIT] = pd.Categorical.from_codes(codes, categories=splits)
        result["classes"] = class_counts(df, label, splits)
    if config.group is not None:
        groups = df[config.group].astype("string")
        known = groups.notna().to_numpy()
        result["groups"] = per_split(text_hashes(groups[known]), codes[known], len(splits))
    return result


def content_keys(table: pa.Table, codes: np.ndarray, order: np.ndarray,
                  identifiers: list[str], n_splits: int) -> list[np.ndarray]:
    """The content keys of a partition's rows in each split (split order), sorted, once each:
    the key over every data column and the label but the sources' `key:` columns
    (`identifiers`), for the exact duplicates report. `table` is in split order (`order`),
    `codes` in the original order."""
    from builder.columns import row_keys

    columns = data_columns(table.column_names, *identifiers)
    if not columns or not len(codes):
        return [np.zeros(0, np.uint64) for _ in range(n_splits)]
    keys = row_keys(table_to_pandas(table.select(columns)), columns)
    return per_split(keys, codes[order], n_splits)


def per_split(keys: np.ndarray, codes: np.ndarray, n_splits: int) -> list[np.ndarray]:
    """The distinct `keys` of each split code, sorted."""
    return [distinct(keys[codes == i]) for i in range(n_splits)]


def gathered(results: list[dict[str, Any]], name: str, n_splits: int) -> list[np.ndarray]:
    """The distinct keys of each split over every partition's `per_split` result `name`."""
    return [distinct(np.concatenate([np.zeros(0, np.uint64), *(r[name][i] for r in results)]))
            for i in range(n_splits)]


def distinct(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` of 64-bit hashes, by a sort: numpy 2's `unique` hashes values into a
    table first, 100 times slower on a million distinct hashes (and an `(n, 2)` unique over
    (key, split) pairs sorts its rows as opaque records, slower still)."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) \
        else ordered


def duplicates_across_splits(results: list[dict[str, Any]], splits: list[str]
                             ) -> dict[str, int]:
    """Per pair of splits `a/b`: how many distinct rows (all data columns and the label, not
    the key columns) occur in both; pairs with none are left out."""
    keys = gathered(results, "contents", len(splits))
    found = {}
    for i, first in enumerate(splits):
        for j in range(i + 1, len(splits)):
            shared = len(np.intersect1d(keys[i], keys[j], assume_unique=True))
            if shared:
                found[f"{first}/{splits[j]}"] = shared
    return found


def split(ctx: Context, parts: Partitions, target: Path) -> dict[str, Any]:
    """Write the partitions `parts` into the artifact folder `target`, each partition's rows
    grouped by split; the split metrics."""
    config = ctx.recipe.split
    splits = list(config.fractions)
    with artifacts.atomic_dir(target) as out:
        results = ctx.map(split_part, parts.names, parts.folder, out, label="split")
    rows = sum((r["rows"] for r in results), np.zeros(len(splits), np.int64))
    metrics: dict[str, Any] = {
        "seed": ctx.recipe.split_seed,
        "group": config.group,
        "rows": {s: int(n) for s, n in zip(splits, rows)},
        "duplicates_across_splits": duplicates_across_splits(results, splits),
        "warnings": [],
    }
    counts: dict[str, np.ndarray] = {}
    for result in results:
        for name, row in result.get("classes", {}).items():
            counts[name] = counts.get(name, 0) + row
    if counts:
        metrics.update(class_shares(counts, splits))
        if config.stratify:
            for split, by_class in metrics["counts"].items():
                for name, count in by_class.items():
                    if count == 0:
                        metrics["warnings"].append(f"class '{name}' has no row in split '{split}'")
    if config.group is not None:
        # Each split's distinct groups, then how many groups are in more than one split.
        groups = gathered(results, "groups", len(splits))
        _, per_group = np.unique(np.concatenate(groups), return_counts=True)
        metrics["groups_spanning_splits"] = int((per_group > 1).sum())
    return metrics
