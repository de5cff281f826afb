"""Rows by `_origin`: the origins there are, counted per part, merged, and reported.

Every row is `real` or made by a balance strategy or a generator; `ORIGINS` lists them in the
order the metrics report them: `real`, then the origin of each registered strategy (by strategy
name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.rows import ORIGIN, REAL, SPLIT

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

TRAIN = "train"
#: How `origin_counts` names a missing class (as pandas writes it).
MISSING_CLASS = "<NA>"


def origins() -> tuple[str, ...]:
    """`real`, then every strategy's origin, in a stable order."""
    from builder.balance.strategies.base import strategies

    found = [REAL]
    for strategy in strategies():
        if strategy.origin and strategy.origin not in found:
            found.append(strategy.origin)
    return tuple(found)


def generated_origins() -> tuple[str, ...]:
    """The origins of generated rows (not copies of real rows), whose quality and privacy the
    augment stage measures."""
    from builder.balance.strategies.base import strategies

    return tuple(s.origin for s in strategies() if s.origin and not s.copies)


def copied_origins() -> tuple[str, ...]:
    """The origins of copies of real rows, written with the part of the row they copy."""
    from builder.balance.strategies.base import strategies

    return tuple(s.origin for s in strategies() if s.origin and s.copies)


def origin_counts(rows: pa.Table | pd.DataFrame, label: str) -> dict[str, Any]:
    """Rows per (split, origin) and train rows per (class, origin) of a part, counted in Arrow
    (a pandas frame is converted first)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(rows, pd.DataFrame):
        rows = pa.Table.from_pandas(rows[[SPLIT, ORIGIN, label]], preserve_index=False)

    def counts(*columns: pa.ChunkedArray) -> dict[tuple[str, ...], int]:
        text = [pc.fill_null(pc.cast(c, pa.string()), MISSING_CLASS) for c in columns]
        grouped = pa.table({str(i): t for i, t in enumerate(text)})
        found = grouped.group_by(list(grouped.column_names)).aggregate([([], "count_all")])
        keys = zip(*(found.column(str(i)).to_pylist() for i in range(len(text))))
        return dict(sorted(zip(keys, found.column("count_all").to_pylist())))

    split, origin = rows.column(SPLIT), rows.column(ORIGIN)
    train = pc.equal(pc.cast(split, pa.string()), TRAIN)
    return {"splits": counts(split, origin),
            "train": counts(rows.column(label).filter(train), origin.filter(train))}


def merge_counts(counts: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of parts' `origin_counts`."""
    total: dict[str, dict] = {"splits": {}, "train": {}}
    for part in counts:
        for kind in total:
            for key, n in part.get(kind, {}).items():
                total[kind][key] = total[kind].get(key, 0) + n
    return total


def origin_metrics(counts: dict[str, Any], splits: list[str],
                   classes: list[str]) -> tuple[dict[str, Any], dict[str, dict[str, int]]]:
    """The stage's row figures from the merged counts (rows, per origin, per split and origin,
    per split), and the train rows per class and origin."""
    per_split: dict[str, dict[str, int]] = {}
    for (split, origin), n in sorted(counts["splits"].items()):
        per_split.setdefault(split, {})[origin] = n
    per_class: dict[str, dict[str, int]] = {}
    for (klass, origin), n in counts["train"].items():
        per_class.setdefault(klass, {})[origin] = n
    totals = {o: sum(s.get(o, 0) for s in per_split.values()) for o in origins()}
    metrics = {
        "rows": sum(totals.values()),
        "origins": {o: n for o, n in totals.items() if n},
        "origins_per_split": {s: {o: n for o, n in per_split[s].items() if n}
                              for s in splits if s in per_split},
        "rows_per_split": {s: sum(per_split.get(s, {}).values()) for s in splits},
    }
    return metrics, per_class


def class_origins(row: dict[str, int]) -> dict[str, int]:
    """A class's train rows per origin, in `ORIGINS` order, without the empty ones."""
    return {o: int(row.get(o, 0)) for o in origins() if row.get(o, 0)}
