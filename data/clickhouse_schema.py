"""The event schema as ClickHouse tables, on one server or sharded over a cluster.

ClickHouse has no primary-key constraint and its tables need an engine and a sort order,
which the backend-neutral `data.schema.metadata` cannot express, so the DDL is written
here from the same `sa.Table`s (same names, columns and nullability):

- every table is a `ReplacingMergeTree` sorted by its key, events by
  `(campaign_id, occurred_at, event_id)`: a report reads one campaign over a time range,
  which the sparse primary index then narrows to that campaign's granules;
- timestamps are `DateTime('UTC')` (release 18.16, Debian's, has no sub-second type);
- on a cluster (`--cluster NAME`), those tables are created as `<name>_local` on every
  shard, and on every shard too a `Distributed` table under our name over them, so any
  node serves the app and the importer writes through it. Tables that carry a user are
  sharded by `cityHash64(user_id)`, so one user's events, sessions and conversions stay on
  one shard; catalog tables by `cityHash64(campaign_id)`. No `ON CLUSTER` (it needs
  ZooKeeper): the statements run on each shard URL in turn.

Each statement is `CREATE TABLE IF NOT EXISTS`: running it again creates only what is
missing, as `create_schema` does on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa

from data.dialect import driver_errors_as_sqlalchemy
from data.schema import metadata

LOCAL_SUFFIX = "_local"

SORT_KEYS: dict[str, tuple[str, ...]] = {
    "campaigns": ("campaign_id",),
    "variants": ("campaign_id", "variant_id"),
    "actions": ("campaign_id", "action_id"),
    "users": ("user_id",),
    "message_events": ("campaign_id", "occurred_at", "event_id"),
    "sessions": ("user_id", "started_at", "session_id"),
    "conversions": ("event_name", "user_id", "occurred_at", "conversion_id"),
}
"""ORDER BY of each table. The key ends with the table's primary key, because a
`ReplacingMergeTree` collapses rows whose sort key is equal: a row stored twice (two
concurrent imports of one file) becomes one row at the next merge."""

SHARD_KEYS: dict[str, str] = {
    "campaigns": "campaign_id",
    "variants": "campaign_id",
    "actions": "campaign_id",
    "users": "user_id",
    "message_events": "user_id",
    "sessions": "user_id",
    "conversions": "user_id",
}
"""The column whose `cityHash64` picks a row's shard: deterministic, so a row imported
again lands on the shard that holds it already, and the per-user pass of a view groups
each user's rows on one shard."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _checked_name(name: str) -> str:
    """A cluster or database name goes into DDL as an identifier, so it must be one."""
    if not _NAME.match(name):
        raise ValueError(f"not a ClickHouse identifier: {name!r}")
    return name


def column_type(column: sa.Column[object]) -> str:
    """The ClickHouse type of a column (Nullable when the column may be null)."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        base = "UInt8"
    elif isinstance(kind, sa.DateTime):
        base = "DateTime('UTC')"
    elif isinstance(kind, sa.Double | sa.Float):
        base = "Float64"
    elif isinstance(kind, sa.BigInteger):
        base = "Int64"
    elif isinstance(kind, sa.Integer):
        base = "Int32"
    elif isinstance(kind, sa.String):
        base = "String"
    else:
        raise TypeError(f"no ClickHouse type for {column.name}: {kind!r}")
    return f"Nullable({base})" if column.nullable and not column.primary_key else base


def _default(column: sa.Column[object]) -> str:
    """`DEFAULT ...` from the column's server default (only literal ones exist)."""
    default = column.server_default
    if default is None:
        return ""
    argument = getattr(default, "arg", None)
    if isinstance(argument, str):
        return f" DEFAULT {int(argument)}"
    if isinstance(argument, sa.sql.elements.False_):
        return " DEFAULT 0"
    if isinstance(argument, sa.sql.elements.True_):
        return " DEFAULT 1"
    raise TypeError(f"no ClickHouse default for {column.name}: {argument!r}")


def _columns(table: sa.Table) -> str:
    return ",\n".join(
        f"    {column.name} {column_type(column)}{_default(column)}" for column in table.columns
    )


def local_table_ddl(table: sa.Table, name: str) -> str:
    """`CREATE TABLE IF NOT EXISTS name (...) ENGINE = ReplacingMergeTree() ORDER BY ...`."""
    order = ", ".join(SORT_KEYS[table.name])
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (\n{_columns(table)}\n)\n"
        f"ENGINE = ReplacingMergeTree()\nORDER BY ({order})"
    )


def distributed_table_ddl(table: sa.Table, cluster: str, database: str) -> str:
    """The `Distributed` table under our name over `<name>_local` on `cluster`'s shards."""
    return (
        f"CREATE TABLE IF NOT EXISTS {table.name} (\n{_columns(table)}\n)\n"
        f"ENGINE = Distributed({_checked_name(cluster)}, {_checked_name(database)}, "
        f"{table.name}{LOCAL_SUFFIX}, cityHash64({SHARD_KEYS[table.name]}))"
    )


def single_node_statements() -> list[str]:
    """Every table on one server: the ReplacingMergeTree tables under our names."""
    return [local_table_ddl(table, table.name) for table in metadata.sorted_tables]


def cluster_statements(cluster: str, database: str) -> list[str]:
    """What runs on each shard: the local tables, then the Distributed tables over them."""
    return [
        local_table_ddl(table, table.name + LOCAL_SUFFIX) for table in metadata.sorted_tables
    ] + [distributed_table_ddl(table, cluster, database) for table in metadata.sorted_tables]


def _run(url: str, statements: Sequence[str]) -> None:
    engine = driver_errors_as_sqlalchemy(sa.create_engine(url))
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def create_clickhouse_schema(url: str, cluster: str | None, shard_urls: Sequence[str]) -> None:
    """Create the missing tables on one server (`url`) or on every shard of `cluster`.

    With a cluster, `url` is a node too: it gets the tables even if it is not listed
    among `shard_urls` (a node that only serves queries needs the Distributed tables).
    """
    if cluster is None:
        _run(url, single_node_statements())
        return
    targets = list(dict.fromkeys([*shard_urls, url]))
    for target in targets:
        database = sa.make_url(target).database or "default"
        _run(target, cluster_statements(cluster, database))
