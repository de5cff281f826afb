"""SDV metadata for the train table: detected by SDV, then corrected by the recipe.

SDV guesses sdtypes from names and values: it takes the label for whatever it looks like (integer
classes become `ordinal`), and may take a column for PII (`state` becomes `administrative_unit`,
even `voice_mail_plan` becomes `email`). The label is always set to `categorical`; every
`synthetic.columns` entry overrides the guess for its column. Columns whose final metadata says
`pii: true` are the PII columns: SDV replaces their values with fakes, or release mode drops them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from builder.columns import require_columns
from builder.errors import DataError
from builder.synthetic.config import STATISTICAL_SDTYPES, ColumnConfig

TABLE = "table"
#: sdtypes that SDV refuses to mark as PII: their values are modelled, or are keys.
NOT_PII_SDTYPES = (*STATISTICAL_SDTYPES, "id")


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with categories and Arrow strings as Python objects (None for missing).

    SDV 2.0's Gaussian copula mis-samples pandas `category` columns that hold a missing value
    (credit's `Marital`, one missing in 2,574 rows, came out 60% missing); as objects it is right.
    """
    out = frame.copy()
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)):
            values = frame[column].astype(object)
            out[column] = values.where(frame[column].notna(), None)
    return out


def detect(frame: pd.DataFrame, label: str | None, columns: dict[str, ColumnConfig]) -> Any:
    """SDV `Metadata` for `frame`, with the label categorical and the recipe's overrides."""
    from sdv.metadata import Metadata

    require_columns(frame, list(columns), "synthetic.columns")
    metadata = Metadata.detect_from_dataframes({TABLE: frame})
    if label is not None and label in frame.columns:
        metadata.update_column(column_name=label, sdtype="categorical", table_name=TABLE)
    detected = metadata.to_dict()["tables"][TABLE]["columns"]
    for name, override in columns.items():
        sdtype = override.sdtype or detected[name]["sdtype"]
        if override.pii and sdtype in NOT_PII_SDTYPES:
            sdtype = "unknown"  # SDV fakes 'unknown' PII columns as "sdv-pii-..." strings
        kwargs: dict[str, Any] = {}
        if override.pii is not None and sdtype not in NOT_PII_SDTYPES:
            kwargs["pii"] = override.pii
        try:
            metadata.update_column(column_name=name, sdtype=sdtype, table_name=TABLE, **kwargs)
        except Exception as error:  # SDV raises InvalidMetadataError and ValueError here
            raise DataError(
                f"synthetic.columns.{name}: SDV rejects sdtype '{sdtype}'"
                f"{' with pii' if kwargs else ''}: {' '.join(str(error).split())} Expected "
                "numerical, categorical, boolean, datetime, id, unknown or a PII sdtype such as "
                "email, name, phone_number or administrative_unit.") from error
    return metadata


def columns_of(metadata: Any) -> dict[str, dict[str, Any]]:
    """The column entries of single-table metadata."""
    return metadata.to_dict()["tables"][TABLE]["columns"]


def pii_columns(metadata: Any) -> list[str]:
    """Columns whose values SDV replaces with fakes."""
    return [name for name, entry in columns_of(metadata).items() if entry.get("pii")]


def sdtypes(metadata: Any) -> dict[str, str]:
    """Each column's sdtype."""
    return {name: entry["sdtype"] for name, entry in columns_of(metadata).items()}


def without(metadata: Any, drop: list[str]) -> Any:
    """A copy of `metadata` without the columns in `drop`."""
    from sdv.metadata import Metadata

    data = metadata.to_dict()
    for name in drop:
        data["tables"][TABLE]["columns"].pop(name, None)
    return Metadata.load_from_dict(data)
