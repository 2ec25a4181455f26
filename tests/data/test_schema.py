"""The schema creates on both backends and stores every column type without loss."""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa

from data.schema import TABLES, create_schema, frame_schema

UTC = dt.UTC

ROWS: dict[str, dict[str, object]] = {
    "campaigns": {
        "campaign_id": "c1",
        "name": "Spring push",
        "channel": "push",
        "started_at": dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "ended_at": None,
        "conversion_event": "purchase",
        "conversion_window_hours": 48,
    },
    "variants": {
        "campaign_id": "c1",
        "variant_id": "A",
        "name": "Variant A",
        "is_control": False,
        "allocation": 0.45,
    },
    "actions": {
        "campaign_id": "c1",
        "action_id": "a1",
        "name": "First push",
        "channel": "push",
        "position": 1,
    },
    "users": {"user_id": "u1", "platform": "ios", "device_model": "iPhone 15", "is_test": True},
    "message_events": {
        "event_id": "e1",
        "campaign_id": "c1",
        "user_id": "u1",
        "event_type": "clicked",
        "occurred_at": dt.datetime(2026, 3, 1, 23, 30, 15, tzinfo=UTC),
        "run_id": "r1",
        "action_id": "a1",
        "variant_id": "A",
        "platform": "ios",
        "device_model": "iPhone 15",
        "bounce_type": None,
        "error_code": None,
        "link_url": "https://example.com/x?a=1",
        "is_machine": True,
    },
    "sessions": {
        "session_id": "s1",
        "user_id": "u1",
        "started_at": dt.datetime(2026, 2, 27, 8, 0, tzinfo=UTC),
        "duration_seconds": 19.99,
    },
    "conversions": {
        "conversion_id": "v1",
        "user_id": "u1",
        "event_name": "purchase",
        "occurred_at": dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        "revenue": 19.99,
    },
}


def test_every_table_round_trips_its_values_exactly(engine: sa.Engine) -> None:
    assert set(ROWS) == set(TABLES)
    with engine.begin() as connection:
        for name, row in ROWS.items():
            connection.execute(TABLES[name].insert().values(**row))
    with engine.connect() as connection:
        for name, row in ROWS.items():
            stored = connection.execute(sa.select(TABLES[name])).mappings().one()
            for column, value in row.items():
                got = stored[column]
                assert got == value, (name, column, got)


def test_creating_the_schema_twice_changes_nothing(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(TABLES["users"].insert().values(user_id="u1"))
    create_schema(engine)
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(TABLES["users"])).scalar()
            == 1
        )


def test_defaults_apply_when_a_column_is_left_out(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(TABLES["users"].insert().values(user_id="u1"))
        connection.execute(
            TABLES["campaigns"]
            .insert()
            .values(
                campaign_id="c1",
                name="n",
                channel="email",
                started_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    with engine.connect() as connection:
        assert connection.execute(sa.select(TABLES["users"].c.is_test)).scalar() is False
        window = connection.execute(sa.select(TABLES["campaigns"].c.conversion_window_hours))
        assert window.scalar() == 72


def _index_names(engine: sa.Engine) -> set[str | None]:
    if engine.dialect.name == "duckdb":  # duckdb-engine does not reflect indexes yet
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT index_name FROM duckdb_indexes()"))
            return {row[0] for row in rows}
    inspector = sa.inspect(engine)
    return {
        ix["name"]
        for table in ("message_events", "sessions", "conversions")
        for ix in inspector.get_indexes(table)
    }


SERVER_INDEXES = {
    "ix_message_events_campaign_time",
    "ix_message_events_campaign_user",
    "ix_message_events_campaign_type",
    "ix_message_events_time",
    "ix_sessions_user_time",
    "ix_conversions_event_user_time",
}


def test_postgresql_gets_the_indexes_serving_the_app_queries(engine: sa.Engine) -> None:
    if engine.dialect.name == "duckdb":
        # DuckDB scans with zone maps and never uses these ART indexes: they only slow imports.
        assert _index_names(engine) & SERVER_INDEXES == set()
    else:
        assert _index_names(engine) >= SERVER_INDEXES
        # the (campaign, event type) pairs' own statistics, without which PostgreSQL
        # scanned the whole table to find a campaign's first `delivered` event
        with engine.connect() as connection:
            kinds = connection.execute(
                sa.text("SELECT stxkind FROM pg_statistic_ext WHERE stxname = :name"),
                {"name": "message_events_campaign_type"},
            ).scalar()
        assert kinds == ["m"]


def test_every_column_has_a_polars_dtype_matching_its_sql_type() -> None:
    for table in TABLES.values():
        assert list(frame_schema(table)) == [column.name for column in table.columns]
    campaigns = frame_schema(TABLES["campaigns"])
    assert campaigns["started_at"] == pl.Datetime("us", "UTC")
    assert campaigns["conversion_window_hours"] == pl.Int64
    assert frame_schema(TABLES["sessions"])["duration_seconds"] == pl.Float64
    assert frame_schema(TABLES["users"])["is_test"] == pl.Boolean


def _primary_keys(engine: sa.Engine) -> set[str]:
    """The tables that carry a primary-key constraint in the database."""
    if engine.dialect.name == "duckdb":
        query = "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        with engine.connect() as connection:
            return {row[0] for row in connection.execute(sa.text(query))}
    inspector = sa.inspect(engine)
    return {name for name in TABLES if inspector.get_pk_constraint(name)["constrained_columns"]}


EVENT_TABLES = {"message_events", "sessions", "conversions"}


def test_duckdb_keeps_no_key_index_on_the_event_tables_postgresql_keeps_them(
    engine: sa.Engine,
) -> None:
    # DuckDB's key index cannot spill and grew a 10M-record vendor import out of memory;
    # the importers check keys themselves (data.ingest.load), DuckDB has one writer.
    keyed = _primary_keys(engine)
    if engine.dialect.name == "duckdb":
        assert keyed == set(TABLES) - EVENT_TABLES
    else:
        assert keyed == set(TABLES)
