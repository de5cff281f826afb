"""Partitioned stage artifacts: a folder `data/<recipe>/<artifact>/` of `part-NNNNN.parquet`.

Parts are named so that their sorted names give the table's order (`part-PPPPP-BBBBB.parquet`:
piece and batch of the sources), and a stage writes its part for each part of the stage before
it under the same name (augment appends parts of generated rows after the real ones): the table
is partition after partition, row after row. A stage writes its parts into a
temporary folder beside the artifact (`artifacts.atomic_dir`) and swaps it in when every part is
written: a killed stage leaves the previous artifact whole.

Parts are local scratch read back whole: uncompressed, without dictionaries or statistics they
are written and read fastest (the published shards are compressed). A part's pandas dtypes
travel in its schema, so an empty part keeps them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from builder.columns import table_to_pandas
from builder.errors import StageError

if TYPE_CHECKING:
    from collections.abc import Sequence

def to_table(frame: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


#: Schema metadata key: the value of the grouping column in each row group, in order.
GROUPS_KEY = b"flywheel.row_groups"


def write_part(frame: pd.DataFrame | pa.Table, path: Path, groups: str | None = None) -> None:
    """Write one partition (inside a stage's temporary folder; the folder is what is atomic).

    With `groups` (a column whose equal values are contiguous, such as the split), each run of
    values is a row group of its own and the schema lists their values, so that a reader can
    take only the rows of one value (`row_groups`)."""
    table = to_table(frame)
    options = part_options(table.schema)
    if groups is None or groups not in table.column_names:
        pq.write_table(table, path, **options)
        return
    values = table.column(groups).to_pandas().astype(object).to_numpy()
    changes = np.flatnonzero(values[1:] != values[:-1]) + 1 if len(values) else []
    starts = [0, *changes.tolist()] if len(values) else []
    bounds = [*starts, len(values)]
    labels = [str(values[start]) for start in starts]
    metadata = {**(table.schema.metadata or {}), GROUPS_KEY: json.dumps(labels).encode()}
    table = table.replace_schema_metadata(metadata)
    with pq.ParquetWriter(path, table.schema, **options) as writer:
        if not starts:
            writer.write_table(table)
        for start, stop in zip(bounds, bounds[1:]):
            writer.write_table(table.slice(start, stop - start), row_group_size=stop - start)


def part_options(schema: pa.Schema) -> dict:
    """Uncompressed, no statistics, dictionaries only for categorical columns (so that their
    categories, even unused ones, come back)."""
    dictionaries = [f.name for f in schema if pa.types.is_dictionary(f.type)]
    return {"compression": "none", "use_dictionary": dictionaries or False,
            "write_statistics": False}


def row_groups(path: Path, value: str) -> list[int]:
    """The row groups of a part written with `groups` that hold `value` (all of them, when the
    part has no groups)."""
    parquet = pq.ParquetFile(path)
    metadata = parquet.schema_arrow.metadata or {}
    if GROUPS_KEY not in metadata:
        return list(range(parquet.num_row_groups))
    labels = json.loads(metadata[GROUPS_KEY])
    return [i for i, label in enumerate(labels) if label == value]


def read_part(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One partition as pandas (Arrow-backed strings), optionally only some columns."""
    return table_to_pandas(pq.read_table(path, columns=list(columns) if columns else None))


def part_dtypes(path: Path) -> pd.Series:
    """The pandas dtypes of a part, from its schema alone."""
    return table_to_pandas(pq.read_schema(path).empty_table()).dtypes


@dataclass(frozen=True)
class Partitions:
    """A partitioned artifact on disk (a folder of parts), read one part at a time."""

    folder: Path
    names: tuple[str, ...]

    @classmethod
    def open(cls, folder: Path, stage: str | None = None) -> Partitions:
        """The artifact at `folder`; a missing one names the stage that makes it."""
        if not folder.is_dir():
            hint = f" Run the {stage} stage first." if stage else ""
            raise StageError(f"{folder}: not found.{hint}")
        names = sorted(n for n in os.listdir(folder)
                       if n.startswith("part-") and n.endswith(".parquet"))
        return cls(folder, tuple(names))

    @property
    def count(self) -> int:
        return len(self.names)

    def path(self, index: int) -> Path:
        return self.folder / self.names[index]

    def read(self, index: int, columns: Sequence[str] | None = None) -> pd.DataFrame:
        return read_part(self.path(index), columns)

    def rows(self, index: int) -> int:
        return pq.ParquetFile(self.path(index)).metadata.num_rows

    def columns(self) -> list[str]:
        return list(pq.read_schema(self.path(0)).names) if self.count else []

    def dtypes(self) -> pd.Series:
        """The pandas dtypes of the artifact (of its first part; all parts share them)."""
        return part_dtypes(self.path(0))

    def read_all(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Every part in one frame: for small tables and tools, never inside a stage."""
        from builder.balance.table import concat_rows

        frames = [self.read(i, columns) for i in range(self.count)]
        return concat_rows(frames, frames[0]) if frames else pd.DataFrame()


def read_artifact(folder: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A whole partitioned artifact in one frame (for tools and tests on small tables)."""
    return Partitions.open(folder).read_all(columns)


def write_artifact(frame: pd.DataFrame, folder: Path) -> None:
    """Replace an artifact with one part holding `frame` (tools and tests; stages write parts)."""
    from builder import artifacts

    with artifacts.atomic_dir(folder) as tmp:
        write_part(frame, tmp / "part-00000-00000.parquet")


def artifact_bytes(folder: Path) -> dict[str, bytes]:
    """The bytes of every part of an artifact, by name (to compare builds)."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("part-*.parquet"))}
