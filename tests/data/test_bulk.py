"""Bulk loading keeps every value: NULL apart from empty text, UTC instants, doubles."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa

from data.ingest.bulk import bulk_insert, refresh_statistics
from data.schema import message_events, sessions


def test_bulk_insert_keeps_nulls_empty_strings_instants_and_defaults(engine: sa.Engine) -> None:
    frame = pl.DataFrame(
        {
            "event_id": ["e1", "e2"],
            "campaign_id": ["c1", "c1"],
            "user_id": ["u1", 'u,"2'],
            "event_type": ["sent", "clicked"],
            "occurred_at": [
                dt.datetime(2026, 3, 1, 9, 30, 0, 123000, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=dt.UTC),
            ],
            "link_url": [None, ""],
        },
        schema_overrides={"occurred_at": pl.Datetime("us", "UTC")},
    )
    with engine.begin() as connection:
        assert bulk_insert(connection, "message_events", frame) == 2
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                message_events.c.user_id,
                message_events.c.occurred_at,
                message_events.c.link_url,
                message_events.c.is_machine,
            ).order_by(message_events.c.event_id)
        ).all()
    assert rows[0] == ("u1", dt.datetime(2026, 3, 1, 9, 30, 0, 123000, tzinfo=dt.UTC), None, False)
    assert rows[1] == ('u,"2', dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=dt.UTC), "", False)


def test_bulk_insert_keeps_doubles_exact(engine: sa.Engine) -> None:
    frame = pl.DataFrame(
        {
            "session_id": ["s1"],
            "user_id": ["u1"],
            "started_at": [dt.datetime(2026, 3, 1, tzinfo=dt.UTC)],
            "duration_seconds": [19.99],
        },
        schema_overrides={"started_at": pl.Datetime("us", "UTC")},
    )
    with engine.begin() as connection:
        bulk_insert(connection, "sessions", frame)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sessions.c.duration_seconds)).scalar_one() == 19.99


def test_refresh_statistics_gives_postgresql_fresh_statistics(engine: sa.Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("DuckDB keeps its statistics up to date as it writes")
    frame = pl.DataFrame(
        {
            "session_id": ["s1", "s2"],
            "user_id": ["u1", "u2"],
            "started_at": [dt.datetime(2026, 3, 1, tzinfo=dt.UTC)] * 2,
            "duration_seconds": [1.0, 2.0],
        },
        schema_overrides={"started_at": pl.Datetime("us", "UTC")},
    )
    with engine.begin() as connection:
        bulk_insert(connection, "sessions", frame)
        refresh_statistics(connection, ["sessions"])
        # pg_class.reltuples is -1 until the table is analysed, then the row count.
        estimated = connection.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = 'sessions'::regclass")
        ).scalar_one()
        assert estimated == 2
