"""Table definitions of the canonical event schema (../shared/event-schema.md).

One `MetaData` holds every table so that tests, the importer, the demo generator and the
queries all agree on column names and types. Timestamps are stored as UTC instants
(`TIMESTAMP WITH TIME ZONE`), money and durations as 8-byte floats (`double`), because
a 4-byte `REAL` would turn 19.99 into 19.9899997 on a round trip.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem
from sqlalchemy.sql.ddl import BaseDDLElement

metadata = sa.MetaData()

Timestamp = sa.DateTime(timezone=True)


def _server_index(name: str, *columns: str) -> sa.Index:
    """A secondary index built on PostgreSQL only.

    PostgreSQL's planner uses these B-trees for the app's campaign/time and campaign/user
    lookups. DuckDB's ART indexes are not used by range scans or aggregations (its
    planner reads per-row-group min/max zone maps instead; EXPLAIN shows a sequential
    scan either way), yet maintaining them made a 10-million-row import about 5 times
    slower (91 s against 16.6 s), so DuckDB gets the primary keys only.
    """
    return sa.Index(name, *columns).ddl_if(dialect="postgresql")


def _key_off_duckdb(table: sa.Table) -> sa.Table:
    """Declare `table`'s primary key on PostgreSQL (and in `metadata`), but not on DuckDB.

    Both importers check keys themselves before inserting (`data.ingest.load`: a key
    stored already is already present or a conflict, never inserted), and DuckDB takes one
    writer at a time, so nothing but the importers' own check ever kept an event key
    unique there. DuckDB's primary-key ART index grows with the table and cannot spill to
    disk: a vendor export of 10 million records in 4 files ran out of the vendor import's
    512 MB at its third file, and committing a 2.5-million-row file onto a 5-million-row
    table took 4.4 s with the key against 0.3 s without (docs/decisions.md, "Vendor
    imports"). So the event tables, which grow with the history, have no key index on
    DuckDB; the catalog tables keep theirs. A database made before keeps its key (`CREATE
    TABLE` only creates missing tables): it imports correctly, with the index's memory.
    """
    table.primary_key.ddl_if(callable_=_not_on_duckdb)
    return table


def _not_on_duckdb(
    ddl: BaseDDLElement,
    target: SchemaItem | str,
    bind: sa.Connection | None,
    tables: list[sa.Table] | None = None,
    state: Any = None,
    *,
    dialect: sa.Dialect,
    **_: Any,
) -> bool:
    """`ddl_if`'s test (SQLAlchemy's `DDLIfCallable` signature): any backend but DuckDB."""
    return dialect.name != "duckdb"


campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("campaign_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("ended_at", Timestamp, nullable=True),
    sa.Column("conversion_event", sa.Text, nullable=True),
    sa.Column("conversion_window_hours", sa.Integer, nullable=False, server_default="72"),
)

variants = sa.Table(
    "variants",
    metadata,
    sa.Column("campaign_id", sa.Text, primary_key=True),
    sa.Column("variant_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("is_control", sa.Boolean, nullable=False),
    sa.Column("allocation", sa.Double, nullable=True),
)

actions = sa.Table(
    "actions",
    metadata,
    sa.Column("campaign_id", sa.Text, primary_key=True),
    sa.Column("action_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("platform", sa.Text, nullable=True),
    sa.Column("device_model", sa.Text, nullable=True),
    sa.Column("is_test", sa.Boolean, nullable=False, server_default=sa.false()),
)

message_events = _key_off_duckdb(
    sa.Table(
        "message_events",
        metadata,
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("campaign_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("run_id", sa.Text, nullable=True),
        sa.Column("action_id", sa.Text, nullable=True),
        sa.Column("variant_id", sa.Text, nullable=True),
        sa.Column("platform", sa.Text, nullable=True),
        sa.Column("device_model", sa.Text, nullable=True),
        sa.Column("bounce_type", sa.Text, nullable=True),
        sa.Column("error_code", sa.Text, nullable=True),
        sa.Column("link_url", sa.Text, nullable=True),
        sa.Column("is_machine", sa.Boolean, nullable=False, server_default=sa.false()),
        # The app reads one campaign over a time range, and per-user anchors of one campaign.
        _server_index("ix_message_events_campaign_time", "campaign_id", "occurred_at"),
        _server_index("ix_message_events_campaign_user", "campaign_id", "user_id"),
        # Every view asks whether its campaign has a `delivered` event at all, and how new
        # the newest event of any campaign is ("data as of"): without these, both read the
        # whole table on the 1M demo (0.14 s and 0.09 s of every view; 1 ms with them).
        _server_index("ix_message_events_campaign_type", "campaign_id", "event_type"),
        _server_index("ix_message_events_time", "occurred_at"),
    )
)


# PostgreSQL estimates (campaign, event type) as if the two were independent: 34,000
# `delivered` rows for a push campaign that has none, so `LIMIT 1` chose a scan of the whole
# table to find the first one (expected at once, found never). The pairs' own statistics
# (most common values) tell it the truth, and the index above answers in 1 ms.
@sa.event.listens_for(message_events, "after_create")
def _pair_statistics(_table: sa.Table, connection: sa.Connection, **_: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                "CREATE STATISTICS IF NOT EXISTS message_events_campaign_type (mcv) "
                "ON campaign_id, event_type FROM message_events"
            )
        )


sessions = _key_off_duckdb(
    sa.Table(
        "sessions",
        metadata,
        sa.Column("session_id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("duration_seconds", sa.Double, nullable=False),
        _server_index("ix_sessions_user_time", "user_id", "started_at"),
    )
)

conversions = _key_off_duckdb(
    sa.Table(
        "conversions",
        metadata,
        sa.Column("conversion_id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("event_name", sa.Text, nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("revenue", sa.Double, nullable=True),
        _server_index("ix_conversions_event_user_time", "event_name", "user_id", "occurred_at"),
    )
)

TABLES: dict[str, sa.Table] = {table.name: table for table in metadata.sorted_tables}
"""Every table by name: the importer maps a file's stem to its table through this."""

CLUSTER_KEYS: dict[str, tuple[str, ...]] = {"message_events": ("campaign_id", "occurred_at")}
"""The order in which bulk loads write a table's rows, so that rows sit together by campaign.

DuckDB keeps min/max zone maps per row group (122,880 rows) and skips every row group
whose campaign_id range excludes the one asked for: with rows written campaign by
campaign, a campaign's report reads its own events and nearly nothing of the others'.
(Loads append, so each import batch is clustered on its own.)
"""


def clustered(table_name: str, columns: list[str]) -> list[str]:
    """The columns to sort a bulk load of `table_name` by (empty when it has no order)."""
    return [name for name in CLUSTER_KEYS.get(table_name, ()) if name in columns]


def frame_schema(table: sa.Table) -> dict[str, pl.DataType]:
    """The Polars dtypes of a table's columns, so frames and tables agree on types.

    Timestamps are UTC-aware microseconds; integers are Int64 whatever SQL width, because
    DuckDB and psycopg hand back different integer widths.
    """
    by_type: list[tuple[type[sa.types.TypeEngine[Any]], pl.DataType]] = [
        (sa.Boolean, pl.Boolean()),
        (sa.DateTime, pl.Datetime("us", "UTC")),
        (sa.Double, pl.Float64()),
        (sa.Integer, pl.Int64()),
        (sa.Text, pl.String()),
    ]
    return {
        column.name: next(dtype for kind, dtype in by_type if isinstance(column.type, kind))
        for column in table.columns
    }


def create_schema(engine: sa.Engine) -> None:
    """Create every table and index that is missing; existing ones are left untouched.

    ClickHouse tables need an engine and a sort order that `metadata` cannot express, so
    there the DDL comes from `data.clickhouse_schema` (one server; a cluster's tables are
    made by `python -m data.schema --cluster`).
    """
    if engine.dialect.name == "clickhouse":
        from data.clickhouse_schema import single_node_statements

        with engine.connect() as connection:
            for statement in single_node_statements():
                connection.execute(sa.text(statement))
        return
    metadata.create_all(engine, checkfirst=True)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m data.schema --db URL [--cluster NAME --shard URL ...]`: create missing tables.

    Works on DuckDB, PostgreSQL and ClickHouse; `--cluster` (ClickHouse only) creates the
    local tables and the Distributed tables over them on every `--shard` URL and on `--db`.
    Exit 2 with one line (the URL without its password) when the database cannot be opened.
    """
    from data.database import create_writer_engine, resolve_database_url
    from data.messages import first_line, shown_url

    parser = argparse.ArgumentParser(
        prog="python -m data.schema", description="Create every missing table of the schema."
    )
    parser.add_argument("--db", help="database URL (default: CAMPAIGN_DB_URL, then DuckDB)")
    parser.add_argument("--cluster", help="ClickHouse: the cluster name of remote_servers")
    parser.add_argument(
        "--shard", action="append", default=[], help="ClickHouse: a shard's URL (repeat)"
    )
    args = parser.parse_args(argv)
    url = resolve_database_url(args.db)
    backend = sa.make_url(url).get_backend_name()
    if (args.cluster or args.shard) and backend != "clickhouse":
        parser.error("--cluster and --shard apply to ClickHouse URLs (clickhouse+http://...)")
    if args.shard and not args.cluster:
        parser.error("--shard needs --cluster NAME")
    try:
        if backend == "clickhouse":
            from data.clickhouse_schema import create_clickhouse_schema

            create_clickhouse_schema(url, args.cluster, args.shard)
        else:
            engine = create_writer_engine(url)
            try:
                create_schema(engine)
            finally:
                engine.dispose()
    except sa.exc.SQLAlchemyError as error:
        print(
            f"cannot open the database {shown_url(url)}: {first_line(error, url)}",
            file=sys.stderr,
        )
        return 2
    where = f"cluster {args.cluster}" if args.cluster else shown_url(url)
    print(f"schema ready on {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
