"""A reader's query that runs too long is stopped and says so, on DuckDB (through SQLAlchemy
and through `fetch_frame`'s Arrow path) and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from data.database import (
    DEFAULT_QUERY_TIMEOUT_SECONDS,
    QueryTimeoutError,
    create_reader_engine,
    query_timeout_seconds,
)
from data.frames import fetch_frame
from tests.support.postgres import PostgresCluster

SLOW_DUCKDB = "SELECT count(*) FROM range(100000000000) AS t(i) WHERE i % 7 = 3"


def test_the_timeout_comes_from_the_environment_and_zero_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CAMPAIGN_QUERY_TIMEOUT_SECONDS", raising=False)
    assert query_timeout_seconds() == DEFAULT_QUERY_TIMEOUT_SECONDS
    monkeypatch.setenv("CAMPAIGN_QUERY_TIMEOUT_SECONDS", "2.5")
    assert query_timeout_seconds() == 2.5
    monkeypatch.setenv("CAMPAIGN_QUERY_TIMEOUT_SECONDS", "0")
    assert query_timeout_seconds() is None
    monkeypatch.setenv("CAMPAIGN_QUERY_TIMEOUT_SECONDS", "soon")
    assert query_timeout_seconds() == DEFAULT_QUERY_TIMEOUT_SECONDS


def _through_sqlalchemy(connection: sa.Connection, sql: str) -> list[Any]:
    return [tuple(row) for row in connection.execute(sa.text(sql)).all()]


def _as_a_frame(connection: sa.Connection, sql: str) -> list[Any]:
    """`fetch_frame`'s Arrow path, which bypasses SQLAlchemy's execute and its timer."""
    return fetch_frame(connection, sa.text(sql)).rows()


@pytest.mark.parametrize("read", [_through_sqlalchemy, _as_a_frame])
def test_a_duckdb_query_past_the_timeout_is_interrupted_and_the_connection_still_works(
    read: Callable[[sa.Connection, str], list[Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMPAIGN_QUERY_TIMEOUT_SECONDS", "0.5")
    path = tmp_path / "slow.duckdb"
    duckdb.connect(str(path)).close()
    engine = create_reader_engine(f"duckdb:///{path}")
    started = time.monotonic()
    with engine.connect() as connection, pytest.raises(QueryTimeoutError, match="0.5 s"):
        read(connection, SLOW_DUCKDB)
    assert time.monotonic() - started < 5  # not the minutes the scan would take
    # a fast query after it runs normally (the timer of the stopped one is gone)
    with engine.connect() as connection:
        time.sleep(0.6)
        assert read(connection, "SELECT 42 AS n") == [(42,)]
    engine.dispose()


def test_a_postgresql_query_past_the_timeout_is_cancelled_by_statement_timeout(
    postgres_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_QUERY_TIMEOUT_SECONDS", "0.3")
    engine = create_reader_engine(postgres_cluster.url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SHOW statement_timeout")).scalar_one() == "300ms"
    started = time.monotonic()
    with engine.connect() as connection, pytest.raises(QueryTimeoutError, match="0.3 s"):
        connection.execute(sa.text("SELECT pg_sleep(5)")).all()
    assert time.monotonic() - started < 4
    engine.dispose()
