"""Which train rows each part keeps and copies, chosen from the rows' keys over the whole table.

The augment stage gives every train row a key (a seeded hash of its `_id`) in a first pass over
the parts. A strategy chooses rows by key (`Strategy.select`): an under-sampled class keeps the
rows with the `target` smallest keys, an over-sampled class copies the rows with the smallest
keys once more than the others. So the choice does not depend on how the table is partitioned.
The sample the table-wise steps see carries each row's part and position (`PART_COLUMN`,
`POSITION_COLUMN`), through which the choice is looked up for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from builder.balance.strategies.base import strategy
from builder.rows import ID, ORIGIN

if TYPE_CHECKING:
    import pandas as pd

    from builder.balance.planner import ClassPlan

#: Sample-frame columns: where a sampled row comes from (part, position among its train rows).
PART_COLUMN, POSITION_COLUMN = "__part", "__train_position"
#: (plan number, copies per train row, origin of the copies).
Copies = tuple[int, np.ndarray, str]


@dataclass
class Selection:
    """What happens to each part's train rows: kept or not, and how many copies, as
    (plan number, copies per train row, origin of the copies)."""

    keep: dict[str, np.ndarray] = field(default_factory=dict)  # part -> keep flag per train row
    copies: dict[str, list[Copies]] = field(default_factory=dict)


def select(plans: list[ClassPlan] | None, classes: Sequence[str], parts: Sequence[str],
           train_classes: Sequence[np.ndarray], train_keys: Sequence[np.ndarray]) -> Selection:
    """Every part's kept and copied train rows under `plans`, from each part's train rows'
    class codes and keys (in the parts' order)."""
    selection = Selection()
    if not plans:
        return selection
    every_class = np.concatenate(train_classes)
    every_key = np.concatenate(train_keys)
    bounds = np.cumsum([0, *[len(c) for c in train_classes]])
    keep = np.ones(len(every_class), dtype=bool)
    copies: list[Copies] = []
    for sequence, plan in enumerate(plans):
        rows = np.flatnonzero(every_class == list(classes).index(plan.name))
        order = rows[np.argsort(every_key[rows], kind="stable")]
        chosen = strategy(plan.strategy)
        choice = chosen.select(plan, rows, order, len(every_class))
        if choice.drop is not None:
            keep[choice.drop] = False
        if choice.copies is not None:
            copies.append((sequence, choice.copies, chosen.origin))
    for i, name in enumerate(parts):
        part = slice(bounds[i], bounds[i + 1])
        if not keep[part].all():
            selection.keep[name] = keep[part]
        mine = [(sequence, per_row[part], origin) for sequence, per_row, origin in copies
                if per_row[part].any()]
        if mine:
            selection.copies[name] = mine
    return selection


def copies_of(train: pd.DataFrame, per_row: np.ndarray, origin: str) -> pd.DataFrame:
    """Copies of train rows, round after round (a row with `n` copies is in the first `n`
    rounds): `_id` `<id>+<k>` for the k-th copy, `_origin` `origin`."""
    import pandas as pd

    from builder.columns import STRING

    rounds = int(per_row.max(initial=0))
    positions = np.concatenate([np.flatnonzero(per_row > r) for r in range(rounds)]) \
        if rounds else np.zeros(0, dtype=np.int64)
    number = np.concatenate([np.full(int((per_row > r).sum()), r + 1) for r in range(rounds)]) \
        if rounds else np.zeros(0, dtype=np.int64)
    rows = train.iloc[positions].reset_index(drop=True)
    rows[ID] = (rows[ID].astype(str) + "+" + pd.Series(number).astype(str)).astype(STRING)
    rows[ORIGIN] = pd.Series(origin, index=rows.index, dtype=STRING)
    return rows


def sample_flags(train: pd.DataFrame, parts: Sequence[str], flags: dict[str, np.ndarray],
                 default: bool) -> np.ndarray:
    """A per-part flag over train rows (`Selection.keep`), looked up for the sample's train
    rows."""
    result = np.full(len(train), default)
    for i, name in enumerate(parts):
        if name in flags:
            mine = (train[PART_COLUMN] == i).to_numpy()
            result[mine] = flags[name][train.loc[mine, POSITION_COLUMN].to_numpy()]
    return result


def sample_copies(train: pd.DataFrame, parts: Sequence[str],
                  copies: dict[str, list[Copies]], sequence: int) -> np.ndarray:
    """The copies plan number `sequence` gives each of the sample's train rows."""
    result = np.zeros(len(train), dtype=np.int64)
    for i, name in enumerate(parts):
        for number, per_row, _ in copies.get(name, []):
            if number == sequence:
                mine = (train[PART_COLUMN] == i).to_numpy()
                result[mine] = per_row[train.loc[mine, POSITION_COLUMN].to_numpy()]
    return result
