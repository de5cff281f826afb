"""`type: sql`: the result of a query against a database (SQLAlchemy URL or SQLite file)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.recipe.registry import SOURCES
from builder.recipe.schema import CheckContext, Problems, SourceConfig
from builder.sources.base import Source


@dataclass(kw_only=True)
class SqlConfig(SourceConfig):
    """Either `url` (any SQLAlchemy URL) or `path` (an SQLite file), plus a `query`."""

    query: str
    url: str | None = None
    path: str | None = None

    def sqlite_file(self, root: Path) -> Path | None:
        if self.path is None:
            return None
        return Path(self.path) if Path(self.path).is_absolute() else root / self.path

    def engine_url(self, root: Path) -> str:
        file = self.sqlite_file(root)
        return f"sqlite:///{file.resolve()}" if file is not None else str(self.url)

    def input_files(self, root: Path) -> list[Path]:
        file = self.sqlite_file(root)
        return [file] if file is not None else []

    def check(self, ctx: CheckContext) -> Problems:
        yield from super().check(ctx)
        if (self.url is None) == (self.path is None):
            yield "url", "expected exactly one of `url` (an SQLAlchemy URL) or `path` (SQLite)."
        file = self.sqlite_file(ctx.root)
        if file is not None and not file.is_file():
            yield "path", f"found '{self.path}', which does not exist; expected an SQLite file."
        if not self.query.strip():
            yield "query", "is empty; expected an SQL query."


@SOURCES.register("sql")
class SqlSource(Source):
    """Runs the query with SQLAlchemy and pandas; the database is opened read-only for SQLite."""

    Config = SqlConfig

    def columns(self) -> list[str] | None:
        """The query's column names from its cursor description: the query runs, no row is
        fetched."""
        import sqlalchemy

        engine = self._engine()
        try:
            with engine.connect() as connection:
                result = connection.execute(sqlalchemy.text(self.config.query))
                names = list(result.keys())
                result.close()
                return names
        except sqlalchemy.exc.SQLAlchemyError as error:
            message = " ".join(str(getattr(error, "orig", None) or error).split())
            raise self.error(f"the query failed: {message}") from error
        finally:
            engine.dispose()

    def _engine(self):
        import sqlalchemy

        url = self.config.engine_url(self.root)
        if url.startswith("sqlite:///"):
            url = f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
        try:
            return sqlalchemy.create_engine(url)
        except (sqlalchemy.exc.SQLAlchemyError, ImportError) as error:
            raise self.error(f"cannot open the database: {error}") from error

    def read(self):
        from builder.sources.base import concat_tables

        tables = list(self.read_piece(None, 2**62))
        return tables[0] if len(tables) == 1 else concat_tables(tables, self.error)

    def read_piece(self, piece, partition_bytes):
        """The query's result, fetched in chunks of about `partition_bytes` (at ~256 bytes a
        row), each a partition."""
        import pandas as pd
        import pyarrow as pa
        import sqlalchemy

        engine = self._engine()
        rows = max(1000, min(partition_bytes // 256, 10**8))
        try:
            with engine.connect() as connection:
                chunks = pd.read_sql_query(sqlalchemy.text(self.config.query), connection,
                                           chunksize=rows)
                empty = True
                for frame in chunks:
                    empty = False
                    yield pa.Table.from_pandas(frame, preserve_index=False)
                if empty:
                    yield pa.Table.from_pandas(pd.read_sql_query(
                        sqlalchemy.text(self.config.query), connection), preserve_index=False)
        except (sqlalchemy.exc.SQLAlchemyError, ValueError) as error:
            message = " ".join(str(getattr(error, "orig", None) or error).split())
            raise self.error(f"the query failed: {message}") from error
        finally:
            engine.dispose()
