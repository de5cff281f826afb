"""`type: feedback`: a deployed model's prediction logs, with users' corrections, as rows.

Each JSON Lines record is one prediction: an id, the input fields (nested under `inputs`, or
top-level), the model's prediction and score, an optional user correction, a timestamp and a
consent flag. Field names are options (defaults in `FeedbackConfig`).

- Consent: only records whose consent flag is true (`true`, or the strings true/yes/1) become
  rows; a record without the flag has no consent. There is no option to turn this off.
- Window: `since` (inclusive) and `until` (exclusive), ISO dates or times (UTC unless they say
  otherwise), so a rebuild reads the same rows whatever the date.
- Dedup: with `dedup_on: [text]`, a record whose values of those columns (compared after NFKC,
  lower-casing and collapsing whitespace) already occur in another source is dropped; the other
  sources are `dedup_against` (default: all of them). The ingest stage compares hashes of the
  values (`dedup_keys`), partition by partition.

Rows get `_feedback_id`, the input columns, `_feedback_prediction`, `_feedback_score`,
`_feedback_label` (the correction) and `_feedback_at`; the label stage turns corrections into
labels with `label_source: feedback` (`builder.labeling.human.merge`). The id is the row key, so
`_id` is `<source>/<id>`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from builder.errors import did_you_mean, one_of
from builder.recipe.registry import SOURCES
from builder.recipe.schema import CheckContext, Problems
from builder.rows import FEEDBACK_CORRECTION, FEEDBACK_PREDICTION, FEEDBACK_SCORE
from builder.sources.base import FileSourceConfig, LinesSource, json_object_keys, read_lines

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FEEDBACK_ID = "_feedback_id"
PREDICTION = FEEDBACK_PREDICTION
SCORE = FEEDBACK_SCORE
CORRECTION = FEEDBACK_CORRECTION
TIMESTAMP = "_feedback_at"
TRUE_WORDS = ("true", "yes", "1", "y")


def parse_instant(text: str) -> dt.datetime:
    """An ISO date or date-time as an aware UTC datetime (naive values are taken as UTC)."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


@dataclass(kw_only=True)
class FeedbackConfig(FileSourceConfig):
    """Prediction logs (JSON Lines); see the module docstring for what each option does."""

    #: `label_map` applies to the predictions and corrections, mapped while reading.
    maps_own_labels: ClassVar[bool] = True
    id_field: str = "id"
    inputs_field: str | None = "inputs"
    prediction_field: str = "prediction"
    score_field: str = "score"
    correction_field: str = "correction"
    timestamp_field: str = "timestamp"
    consent_field: str = "consent"
    since: str | None = None
    until: str | None = None
    dedup_on: list[str] | None = None
    dedup_against: list[str] | None = None
    key: list[str] | None = field(default_factory=lambda: [FEEDBACK_ID])

    def window(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        since = parse_instant(self.since) if self.since else None
        until = parse_instant(self.until) if self.until else None
        return since, until

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        bounds = {}
        for name in ("since", "until"):
            text = getattr(self, name)
            if text is None:
                continue
            try:
                bounds[name] = parse_instant(text)
            except ValueError:
                yield name, (f"found '{text}', expected an ISO date or time such as 2026-01-01 "
                             "or 2026-01-01T08:00:00Z.")
        if len(bounds) == 2 and bounds["since"] >= bounds["until"]:
            yield "until", f"found '{self.until}', expected a time after since ('{self.since}')."
        fields = {"id_field": self.id_field, "prediction_field": self.prediction_field,
                  "score_field": self.score_field, "correction_field": self.correction_field,
                  "timestamp_field": self.timestamp_field, "consent_field": self.consent_field}
        for key, value in fields.items():
            if not value.strip():
                yield key, "is empty; expected the name of a field in the log records."
        others = [n for n, s in ctx.recipe.sources.items() if s is not self]
        for i, name in enumerate(self.dedup_against or []):
            if name not in others:
                yield f"dedup_against[{i}]", (
                    f"found '{name}', expected another source of this recipe: "
                    f"{one_of(others)}." + did_you_mean(name, others))
        if self.dedup_against and not self.dedup_on:
            yield "dedup_on", "is missing; expected the columns to compare, e.g. [text]."


@SOURCES.register("feedback")
class FeedbackSource(LinesSource):
    """Reads prediction logs, keeps consented records inside the window, flattens the inputs."""

    Config = FeedbackConfig

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = {"records": 0, "without_consent": 0, "outside_window": 0,
                       "duplicates_of_other_sources": 0, "corrections": 0, "rows": 0}

    def columns(self) -> list[str]:
        """The rows' columns, from the records in each file's first MiB or, when a field the
        options name is not among them, from every record; a field missing from all of them
        is an error with a did-you-mean (a consent field misspelt would keep no row)."""
        from builder.sources.base import head_bytes

        files = self.config.files(self.root)
        fields, inputs = self._fields(files, head_bytes)
        if self.missing_fields(fields, inputs):
            fields, inputs = self._fields(files, lambda path: read_lines(path, 0, None))
        missing = self.missing_fields(fields, inputs)
        if missing:
            key, name, choices = missing[0]
            shown = str(files[0]) if len(files) == 1 else f"{self.config.path} ({len(files)} files)"
            raise self.error(
                f"{shown}: `{key}: {name}` names no field of the records; they have "
                f"{', '.join(choices) or 'none'}." + did_you_mean(name, choices)
                + f" Expected `{key}` to name one of them.")
        config: FeedbackConfig = self.config
        if config.inputs_field is None:
            inputs = [f for f in fields if f not in self._reserved()]
        return [FEEDBACK_ID, *inputs, PREDICTION, SCORE, CORRECTION, TIMESTAMP]

    def all_columns(self) -> list[str]:
        return self.columns()

    def _fields(self, files: list[Path], read) -> tuple[list[str], list[str]]:
        fields: dict[str, None] = {}
        inputs: dict[str, None] = {}
        for path in files:
            found, nested = record_fields(read(path), path, self.config.inputs_field)
            fields.update(dict.fromkeys(found))
            inputs.update(dict.fromkeys(nested))
        return list(fields), list(inputs)

    def _reserved(self) -> set[str]:
        config: FeedbackConfig = self.config
        return {config.id_field, config.prediction_field, config.score_field,
                config.correction_field, config.timestamp_field, config.consent_field}

    def missing_fields(self, fields: list[str], inputs: list[str]
                       ) -> list[tuple[str, str, list[str]]]:
        """(option, field, the records' fields) for each field an option names that the
        records lack: always for the id, inputs and consent fields; for the others when set
        to a name other than the default, or when a field of the records is close to it."""
        config: FeedbackConfig = self.config
        defaults = FeedbackConfig.__dataclass_fields__
        missing = []
        for key in ("id_field", "inputs_field", "consent_field", "prediction_field",
                    "score_field", "correction_field", "timestamp_field"):
            name = getattr(config, key)
            if name is None or name in fields:
                continue
            required = key in ("id_field", "inputs_field", "consent_field") or (
                key == "timestamp_field" and (config.since or config.until))
            if required or name != defaults[key].default or did_you_mean(name, fields):
                missing.append((key, name, fields))
        return missing

    def parse(self, data: bytes, path: Path) -> pa.Table:
        """The rows of JSON Lines bytes read from `path`."""
        import io

        import pyarrow as pa
        import pyarrow.json as pjson

        try:
            table = pjson.read_json(io.BytesIO(data),
                                    read_options=pjson.ReadOptions(block_size=1 << 26))
        except pa.ArrowInvalid as error:
            raise self.error(f"{path}: {self._first_bad_line(path) or error}") from error
        try:
            table.validate(full=True)  # pyarrow's JSON reader lets invalid UTF-8 through
        except pa.ArrowInvalid:
            json_object_keys(data, path)  # names the line and the byte
            raise
        self.report["records"] += table.num_rows
        rows = self._rows(table, path)
        self.report["rows"] += rows.num_rows
        self.report["corrections"] += rows.num_rows - rows[CORRECTION].null_count
        return rows

    @staticmethod
    def _first_bad_line(path: Path) -> str | None:
        import json

        with path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as error:
                    return f"line {number}: not JSON ({error.msg}); expected one object per line."
                if not isinstance(value, dict):
                    return f"line {number}: found {type(value).__name__}, expected an object."
        return None

    def _field(self, table: pa.Table, name: str, path: Path, required: bool = True):
        if name in table.column_names:
            return table[name]
        if required:
            raise self.error(f"{path}: the records have no field '{name}'; they have "
                             f"{', '.join(table.column_names)}."
                             + did_you_mean(name, table.column_names))
        return None

    def _rows(self, table: pa.Table, path: Path) -> pa.Table:
        import pyarrow as pa
        import pyarrow.compute as pc

        config: FeedbackConfig = self.config
        ids = pc.cast(self._field(table, config.id_field, path), pa.string())
        if ids.null_count:
            raise self.error(f"{path}: {ids.null_count} records have no '{config.id_field}'; "
                             "expected an id in every record.")
        keep = self._consented(table, path)
        self.report["without_consent"] += table.num_rows - int(pc.sum(keep).as_py() or 0)
        at = self._timestamps(table, path)
        since, until = config.window()
        if since is not None or until is not None:
            inside = pc.fill_null(pc.and_kleene(
                pc.greater_equal(at, pa.scalar(since, at.type)) if since else pa.scalar(True),
                pc.less(at, pa.scalar(until, at.type)) if until else pa.scalar(True)), False)
            self.report["outside_window"] += int(pc.sum(pc.and_(keep, pc.invert(inside))).as_py()
                                                 or 0)
            keep = pc.and_(keep, inside)
        columns = {FEEDBACK_ID: ids}
        columns.update(self._inputs(table, path))
        columns[PREDICTION] = self._labels(table, config.prediction_field, path)
        score = self._field(table, config.score_field, path, required=False)
        columns[SCORE] = pc.cast(score, pa.float64()) if score is not None else \
            pa.nulls(table.num_rows, pa.float64())
        columns[CORRECTION] = self._labels(table, config.correction_field, path)
        columns[TIMESTAMP] = at
        rows = pa.table(columns)
        return rows.filter(keep)

    def _consented(self, table: pa.Table, path: Path):
        import pyarrow as pa
        import pyarrow.compute as pc

        flag = self._field(table, self.config.consent_field, path, required=False)
        if flag is None:
            return pa.array([False] * table.num_rows)
        if pa.types.is_boolean(flag.type):
            return pc.fill_null(flag, False)
        words = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(flag, pa.string())))
        return pc.fill_null(pc.is_in(words, pa.array(TRUE_WORDS)), False)

    def _timestamps(self, table: pa.Table, path: Path):
        import pandas as pd
        import pyarrow as pa

        config: FeedbackConfig = self.config
        raw = self._field(table, config.timestamp_field, path,
                          required=bool(config.since or config.until))
        if raw is None:
            return pa.nulls(table.num_rows, pa.timestamp("us", tz="UTC"))
        series = raw.to_pandas()
        if pd.api.types.is_datetime64_any_dtype(series):
            parsed = series.dt.tz_localize("UTC") if series.dt.tz is None \
                else series.dt.tz_convert("UTC")
        elif pd.api.types.is_numeric_dtype(series):
            parsed = pd.to_datetime(series, unit="s", utc=True, errors="coerce")
        else:
            parsed = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
        bad = series.notna() & parsed.isna()
        if bad.any():
            first = int(bad.to_numpy().nonzero()[0][0])
            raise self.error(f"{path}: record {first + 1}: {config.timestamp_field} is "
                             f"'{series.iloc[first]}', expected an ISO time or epoch seconds.")
        return pa.array(parsed.dt.as_unit("us"), type=pa.timestamp("us", tz="UTC"))

    def _labels(self, table: pa.Table, name: str, path: Path):
        import pyarrow as pa
        import pyarrow.compute as pc

        column = self._field(table, name, path, required=False)
        if column is None or pa.types.is_null(column.type):
            return pa.nulls(table.num_rows, pa.string())
        labels = pc.cast(column, pa.string())
        for raw, mapped in self.config.label_map.items():
            labels = pc.if_else(pc.equal(labels, raw), mapped, labels)
        return labels

    def _inputs(self, table: pa.Table, path: Path) -> dict:
        import pyarrow as pa

        config: FeedbackConfig = self.config
        if config.inputs_field is not None:
            nested = self._field(table, config.inputs_field, path)
            if not pa.types.is_struct(nested.type):
                raise self.error(f"{path}: '{config.inputs_field}' is {nested.type}, expected an "
                                 "object of input fields (or set inputs_field: null when the "
                                 "inputs are top-level fields).")
            combined = nested.combine_chunks() if isinstance(nested, pa.ChunkedArray) else nested
            return {f.name: combined.field(i) for i, f in enumerate(combined.type)}
        reserved = {config.id_field, config.prediction_field, config.score_field,
                    config.correction_field, config.timestamp_field, config.consent_field}
        return {name: table[name] for name in table.column_names if name not in reserved}

    def against(self, names: list[str]) -> list[str]:
        """The sources whose rows this log's records are compared with (`dedup_against`)."""
        return list(self.config.dedup_against or [n for n in names if n != self.name])

    def dedup_keys(self, df: pd.DataFrame):
        """A hash per row of its `dedup_on` values compared loosely (see `comparable`); a
        column a source lacks counts as missing there. None without `dedup_on`."""
        config: FeedbackConfig = self.config
        if not config.dedup_on:
            return None
        import pandas as pd

        from builder.columns import STRING

        if (df["_source"] == self.name).any():
            from builder.errors import require_columns

            require_columns(df, config.dedup_on, f"source '{self.name}' dedup_on")
        values = {c: comparable(df[c]) if c in df.columns
                  else pd.Series(pd.NA, index=df.index, dtype=STRING) for c in config.dedup_on}
        return pd.util.hash_pandas_object(pd.DataFrame(values), index=False).to_numpy()


def record_fields(data: bytes, path: Path, inputs_field: str | None
                  ) -> tuple[list[str], list[str]]:
    """The top-level fields of some JSON Lines records, and the fields of their inputs
    objects (`inputs_field`), each in first-seen order."""
    import json

    fields = json_object_keys(data, path)
    inputs: dict[str, None] = {}
    if inputs_field is not None and inputs_field in fields:
        for line in data.splitlines():
            if line.strip():
                nested = json.loads(line).get(inputs_field)
                if isinstance(nested, dict):
                    inputs.update(dict.fromkeys(nested))
    return fields, list(inputs)


def comparable(series: pd.Series) -> pd.Series:
    """Text compared loosely (NFKC, lower case, single spaces, trimmed); other types as they are."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from builder.columns import string_series, to_arrow

    if not (pd.api.types.is_string_dtype(series) or series.dtype == object):
        return series
    text = pc.cast(to_arrow(series), pa.string())
    text = pc.utf8_lower(pc.utf8_normalize(text, "NFKC"))
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
    return string_series(text, series.index)
