"""The augment stage's passes over the parts of `split/`: count the classes and key the train
rows, gather the sample the table-wise steps see, write the real rows with their copies.

A train row's key is a hash of its `_id` keyed by the seed: strategies choose rows by key
(`builder.balance.selection`), and the sample is the rows with the smallest keys, so neither
depends on the partitioning.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from builder.balance.origins import TRAIN, merge_counts, origin_counts
from builder.balance.selection import POSITION_COLUMN, PART_COLUMN, Copies, copies_of
from builder.columns import STRING, repeat_string, unit_hashes
from builder.images.augment import augment_rows
from builder.partitions import PART_SUFFIX, append_column, read_part, read_table, write_part
from builder.rows import ID, ORIGIN, REAL, SPLIT, class_codes, key_bound

if TYPE_CHECKING:
    from builder.context import Context
    from builder.partitions import Partitions


#: The origin of the `augment` strategy's copies.
AUGMENTED = "augmented"


def row_keys(ids: pd.Series, ctx: Context) -> np.ndarray:
    """Every row's key: a hash of its `_id` in [0, 1), keyed by the recipe's seed."""
    return unit_hashes(ids, ctx.step_seed("augment", "sample"), "augment")


def profile_part(name: str, ctx: Context, source: Path, keys: bool) -> dict[str, Any]:
    """Rows per split and class, and (`keys`) each train row's class and key."""
    label = ctx.recipe.task.label
    classes = ctx.recipe.task.classes
    df = read_part(source / name, columns=[ID, label, SPLIT])
    splits = list(df[SPLIT].cat.categories)
    split_codes = df[SPLIT].cat.codes.to_numpy()
    codes = class_codes(df[label], classes)
    counts = np.zeros((len(splits), len(classes) + 1), dtype=np.int64)
    np.add.at(counts, (split_codes, np.where(codes >= 0, codes, len(classes))), 1)
    result: dict[str, Any] = {"counts": counts, "splits": splits}
    if keys:
        train = split_codes == splits.index(TRAIN) if TRAIN in splits else \
            np.zeros(len(df), dtype=bool)
        all_keys = row_keys(df[ID], ctx)
        result["train_classes"] = codes[train]
        result["train_keys"] = all_keys[train]
        result["holdout_keys"] = all_keys[~train]
    return result


def sample_part(item: tuple[int, str, float, float], ctx: Context, source: Path) -> pd.DataFrame:
    """The rows of a part in the sample: train rows with keys up to one bound, holdout rows
    with keys up to another; with their part and position among the part's train rows."""
    index, name, train_bound, holdout_bound = item
    df = read_part(source / name)
    train = (df[SPLIT] == TRAIN).to_numpy()
    keys = row_keys(df[ID], ctx)
    chosen = np.where(train, keys <= train_bound, keys <= holdout_bound)
    positions = np.where(train, np.cumsum(train) - 1, -1)
    sample = df[chosen].reset_index(drop=True)
    sample[PART_COLUMN] = index
    sample[POSITION_COLUMN] = positions[chosen]
    return sample


def gather_sample(ctx: Context, parts: Partitions, profiles: list[dict]) -> pd.DataFrame:
    """The sample the table-wise steps see: the train (and holdout) rows with the smallest keys,
    at most `synthetic.fit_rows` of each (every row of a smaller table), `_origin: real`."""
    from builder.columns import concat_rows

    limit = ctx.recipe.synthetic.fit_rows
    bounds = [key_bound([p["train_keys"] for p in profiles], limit),
              key_bound([p["holdout_keys"] for p in profiles], limit)]
    items = [(i, name, *bounds) for i, name in enumerate(parts.names)]
    frames = ctx.map(sample_part, items, parts.folder, label="sample")
    df = concat_rows(frames, frames[0])
    df[ORIGIN] = repeat_string(REAL, df.index)
    return df


def empty_like(parts: Partitions) -> pd.DataFrame:
    """No rows, the columns of the parts and `_origin`."""
    frame = read_part(parts.path(0)).iloc[:0] if parts.count else pd.DataFrame()
    frame[ORIGIN] = pd.Series(dtype=STRING)
    return frame


def write_real(item: tuple[str, np.ndarray | None, list[Copies] | None], ctx: Context,
               source: Path, out: Path, release: bool) -> dict[str, Any]:
    """A real part with `_origin: real`, its train rows kept as selected, and the copies of its
    rows in parts of their own (`part-xNNN-<part>`, after every real part)."""
    name, keep, copies = item
    if release:
        return {}
    label = ctx.recipe.task.label
    df = read_part(source / name)
    df[ORIGIN] = repeat_string(REAL, df.index)
    train = (df[SPLIT] == TRAIN).to_numpy()
    counts = [origin_counts(df, label)]
    for sequence, per_row, origin in copies or []:
        rows = copies_of(df[train].reset_index(drop=True), per_row, origin)
        if origin == AUGMENTED:  # the copies become new pictures
            rows = augment_rows(rows, ctx, source)
        write_part(rows, out / f"part-x{sequence:03d}-{name}", groups=SPLIT)
        counts.append(origin_counts(rows, label))
    if keep is not None:
        kept = np.ones(len(df), dtype=bool)
        kept[train] = keep
        df = df[kept].reset_index(drop=True)
        counts[0] = origin_counts(df, label)
    write_part(df, out / name, groups=SPLIT)
    return merge_counts(counts)


def pass_real(name: str, ctx: Context, source: Path, out: Path) -> dict[str, Any]:
    """A part as it is, with `_origin: real`, in Arrow (no balancing, no synthetic rows): the
    table the pandas path (`write_real`) writes, pandas metadata included, in a tenth of the
    time."""
    table = read_table(source / name)
    origin = pa.array([REAL], pa.large_string()).take(
        pa.array(np.zeros(table.num_rows, dtype=np.int32)))
    table = append_column(table, ORIGIN, origin, STRING)
    write_part(table, out / name, groups=SPLIT)
    return origin_counts(table, ctx.recipe.task.label)


def drop_columns(out: Path, columns: list[str]) -> None:
    """Drop `columns` from every part written to `out` (release mode's PII columns)."""
    for path in sorted(out.glob("part-*" + PART_SUFFIX)):
        frame = read_part(path)
        write_part(frame.drop(columns=[c for c in columns if c in frame.columns]), path,
                   groups=SPLIT)
