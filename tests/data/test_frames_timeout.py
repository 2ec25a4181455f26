"""The Arrow path of `fetch_frame` (DuckDB, which bypasses SQLAlchemy's execute) honours
the reader's statement timeout like every other statement."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from data.database import QueryTimeoutError, create_reader_engine
from data.frames import fetch_frame

SLOW = sa.text("SELECT count(*) AS n FROM range(100000000000) AS t(i) WHERE i % 7 = 3")


def test_a_slow_reduction_fetched_as_arrow_is_stopped_with_a_timeout_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_QUERY_TIMEOUT_SECONDS", "0.5")
    path = tmp_path / "slow.duckdb"
    duckdb.connect(str(path)).close()
    engine = create_reader_engine(f"duckdb:///{path}")
    started = time.monotonic()
    with engine.connect() as connection, pytest.raises(QueryTimeoutError, match="0.5 s"):
        fetch_frame(connection, SLOW)
    assert time.monotonic() - started < 5  # not the minutes the scan would take
    with engine.connect() as connection:  # the connection is usable after the interrupt
        time.sleep(0.6)  # past the stopped statement's timer, which must not fire again
        assert fetch_frame(connection, sa.text("SELECT 42 AS n"))["n"].to_list() == [42]
    engine.dispose()
