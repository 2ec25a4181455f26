"""What a ClickHouse node tells about its cluster, and emptying the tables on every shard.

`python -m data.demo --replace` empties the demo's tables before building it again. On
ClickHouse 18.16 `DELETE` does not exist, a mutation (`ALTER TABLE ... DELETE`) is refused
on a `Distributed` table, and `TRUNCATE` of a Distributed table is refused too: rows live
in the `<name>_local` tables of each shard, so each shard's tables are truncated on that
shard (no ZooKeeper, so no `ON CLUSTER`), as `data.schema --cluster` creates them. A
shard left out would keep its rows and mix them with the new demo, so the shard URLs
given must cover every shard of the cluster the Distributed tables name: each URL is asked
which shard it is (`system.clusters`, `is_local`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from data.dialect import driver_errors_as_sqlalchemy
from data.schema import TABLES

_DISTRIBUTED = re.compile(
    r"^Distributed\(\s*'?(?P<cluster>\w+)'?\s*,\s*'?(?P<database>\w+)'?\s*,\s*"
    r"'?(?P<table>\w+)'?\s*(?:,\s*(?P<key>.+))?\)$"
)


class ShardsNotCoveredError(ValueError):
    """The shard URLs given do not reach every shard of the tables' cluster."""


@dataclass(frozen=True)
class DistributedTable:
    """A `Distributed` table's arguments: cluster, database, local table, sharding key."""

    cluster: str
    database: str
    local_table: str
    sharding_key: str | None


def distributed_tables(connection: sa.Connection) -> dict[str, DistributedTable]:
    """Our tables that are `Distributed` in the connection's database, by name.

    A plain driver statement: it also runs inside the dialect's first-connection set-up
    (`data.clickhouse_shards.read_sharding`), before the engine compiles anything.
    """
    rows = connection.exec_driver_sql(
        "SELECT name, engine_full FROM system.tables "
        "WHERE database = currentDatabase() AND engine = 'Distributed'"
    ).all()
    found: dict[str, DistributedTable] = {}
    for name, engine_full in rows:
        table = parse_distributed(str(engine_full))
        if name in TABLES and table is not None:
            found[name] = table
    return found


def parse_distributed(engine_full: str) -> DistributedTable | None:
    """The arguments of `Distributed(cluster, database, table[, sharding_key])`, else None."""
    match = _DISTRIBUTED.match(engine_full.strip())
    if match is None:
        return None
    key = match["key"].strip() if match["key"] else None
    return DistributedTable(match["cluster"], match["database"], match["table"], key)


def shard_numbers(connection: sa.Connection, cluster: str) -> tuple[set[int], set[int]]:
    """(every shard number of `cluster`, the shard numbers this server is)."""
    rows = connection.execute(
        sa.text("SELECT shard_num, is_local FROM system.clusters WHERE cluster = :cluster"),
        {"cluster": cluster},
    ).all()
    return {int(row[0]) for row in rows}, {int(row[0]) for row in rows if row[1]}


def _truncate(url: str, names: Sequence[str]) -> None:
    engine = driver_errors_as_sqlalchemy(sa.create_engine(url))
    try:
        with engine.connect() as connection:
            for name in names:
                connection.execute(sa.text(f"TRUNCATE TABLE IF EXISTS {name}"))
    finally:
        engine.dispose()


def empty_tables(url: str, shard_urls: Sequence[str]) -> None:
    """Delete every row of our tables at `url`: on one server its tables, on a cluster the
    local tables on each of `shard_urls`, which must cover every shard (checked first, so
    nothing is emptied when one is missing)."""
    engine = driver_errors_as_sqlalchemy(sa.create_engine(url))
    try:
        with engine.connect() as connection:
            distributed = distributed_tables(connection)
    finally:
        engine.dispose()
    if not distributed:
        _truncate(url, list(TABLES))
        return
    clusters = {table.cluster for table in distributed.values()}
    if len(clusters) != 1:
        raise ShardsNotCoveredError(f"the tables span several clusters: {sorted(clusters)}")
    cluster = clusters.pop()
    if not shard_urls:
        raise ShardsNotCoveredError(
            f"the tables are Distributed over cluster {cluster}: give every shard's URL "
            "(--shard URL --shard URL ...) to empty them"
        )
    wanted: set[int] = set()
    covered: set[int] = set()
    for shard_url in shard_urls:
        engine = driver_errors_as_sqlalchemy(sa.create_engine(shard_url))
        try:
            with engine.connect() as connection:
                every, local = shard_numbers(connection, cluster)
        finally:
            engine.dispose()
        wanted |= every
        covered |= local
    if not wanted or wanted - covered:
        missing = ", ".join(str(number) for number in sorted(wanted - covered)) or "all"
        raise ShardsNotCoveredError(
            f"the shard URLs given do not reach shard(s) {missing} of cluster {cluster}"
        )
    local_names = [f"{table.database}.{table.local_table}" for table in distributed.values()]
    for shard_url in shard_urls:
        _truncate(shard_url, local_names)
