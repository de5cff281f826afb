"""`type: sql`: a query against a real SQLite file, by path (read-only) or SQLAlchemy URL."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from builder.errors import DataError
from builder.sources.sql import SqlConfig, SqlSource


@pytest.fixture
def database(project) -> Path:
    path = project.root / "shop.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("create table reviews (id integer primary key, body text, stars int)")
        connection.executemany("insert into reviews values (?, ?, ?)",
                               [(1, "good", 5), (2, "bad", 1), (3, "fine", None)])
    connection.close()
    return path


def read(root: Path, **options) -> dict:
    return SqlSource("db", SqlConfig(type="sql", **options), root).read().to_pydict()


def test_query_by_path(project, database) -> None:
    assert read(project.root, path="shop.sqlite",
                query="select id, body, stars from reviews where id < 3 order by id") == {
        "id": [1, 2], "body": ["good", "bad"], "stars": [5, 1]}


def test_query_by_url(project, database) -> None:
    assert read(project.root, url=f"sqlite:///{database}",
                query="select body, stars from reviews order by id desc")["stars"] == [
        None, 1, 5]


def test_a_bad_query_names_the_source(project, database) -> None:
    with pytest.raises(DataError, match=re.escape(
            "source 'db' (sql): the query failed: no such table: review")):
        read(project.root, path="shop.sqlite", query="select * from review")


def test_the_sqlite_file_is_opened_read_only(project, database) -> None:
    with pytest.raises(DataError, match=re.escape(
            "source 'db' (sql): the query failed: attempt to write a readonly database")):
        read(project.root, path="shop.sqlite", query="delete from reviews")
    with sqlite3.connect(database) as connection:
        assert connection.execute("select count(*) from reviews").fetchone() == (3,)
    connection.close()


def test_an_unknown_database_driver_names_the_source(project) -> None:
    with pytest.raises(DataError, match=re.escape("source 'db' (sql): cannot open the database: ")):
        read(project.root, url="nosuchdb://host/db", query="select 1")


def test_sql_source_through_ingest_with_key_and_label_map(ingest, database) -> None:
    df, metrics = ingest("""
        db:
          type: sql
          path: shop.sqlite
          query: "select id, body, case when stars >= 3 then 'good' else 'poor' end as label
                  from reviews order by id"
          key: [id]
          label_map: {good: pos, poor: neg}
    """)
    assert df.to_dict("list") == {"_id": ["db/1", "db/2", "db/3"], "_source": ["db"] * 3,
                                  "id": [1, 2, 3], "body": ["good", "bad", "fine"],
                                  "label": ["pos", "neg", "neg"]}
    assert metrics["sources"]["db"]["rows"] == 3
    assert list(metrics["sources"]["db"]["files"]) == ["shop.sqlite"]
