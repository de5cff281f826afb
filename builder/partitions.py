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

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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


def write_part(frame: pd.DataFrame | pa.Table, path: Path) -> None:
    """Write one partition (inside a stage's temporary folder; the folder is what is atomic)."""
    pq.write_table(to_table(frame), path, compression="none", use_dictionary=False,
                   write_statistics=False)


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
