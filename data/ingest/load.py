"""Load checked rows into their table so that importing the same data twice changes nothing.

The rows go into a temporary staging table in bulk (Arrow into DuckDB, COPY into
PostgreSQL); then two set-based statements decide, against what the table already holds:
keys already stored with different values are conflicts (rejected), keys not stored yet are
inserted, and the rest are already present. Values are compared with `IS NOT DISTINCT FROM`
so that NULL equals NULL, on both backends. Everything runs in the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from data.ingest.bulk import bulk_insert
from data.ingest.validate import LINE
from data.schema import TABLES, clustered


@dataclass(frozen=True)
class LoadOutcome:
    """What happened to the staged rows: inserted, already stored, or in conflict."""

    loaded: int
    already_present: int
    conflict_lines: tuple[int, ...]


def load_rows(connection: sa.Connection, table_name: str, rows: pl.DataFrame) -> LoadOutcome:
    """Insert the rows of `rows` (table columns plus `LINE`, one per key) not stored yet.

    Call inside a transaction: a failure half-way must leave nothing behind.
    """
    if rows.height == 0:
        return LoadOutcome(0, 0, ())
    target = TABLES[table_name]
    if connection.dialect.name == "clickhouse":
        return _load_rows_clickhouse(connection, target, rows)
    _one_writer_per_table(connection, table_name)
    stage = _staging_table(target)
    # No try/finally: on failure the caller's rollback undoes the CREATE as well, and a
    # DROP in an aborted PostgreSQL transaction would only hide the real error.
    stage.create(connection)
    bulk_insert(connection, stage.name, rows.select(*target.columns.keys(), LINE))
    conflict_lines = _conflicting_lines(connection, target, stage)
    loaded = _insert_new_keys(connection, target, stage)
    stage.drop(connection)
    already_present = rows.height - loaded - len(conflict_lines)
    return LoadOutcome(loaded, already_present, conflict_lines)


def _one_writer_per_table(connection: sa.Connection, table_name: str) -> None:
    """On PostgreSQL, two imports into one table take turns until the first commits.

    Both would see the other's keys as absent, and the second's insert would then fail on
    the primary key; with a transaction-scoped advisory lock the second waits, and its
    statements (each a fresh READ COMMITTED snapshot) count the first's rows as already
    present. DuckDB needs no lock here: one process writes a file at a time.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(table_name))))


def _staging_table(target: sa.Table, temporary: bool = True) -> sa.Table:
    """A constraint-free temporary copy of `target`'s columns, plus each row's line."""
    return sa.Table(
        f"ingest_stage_{uuid.uuid4().hex[:16]}",
        sa.MetaData(),
        *(sa.Column(column.name, column.type) for column in target.columns),
        sa.Column(LINE, sa.BigInteger),
        prefixes=["TEMPORARY"] if temporary else [],
    )


def _same_key(target: sa.Table, stage: sa.Table) -> sa.ColumnElement[bool]:
    return sa.and_(*(stage.c[column.name] == column for column in target.primary_key.columns))


def _conflicting_lines(
    connection: sa.Connection, target: sa.Table, stage: sa.Table
) -> tuple[int, ...]:
    """Lines whose key is stored already, with at least one value different."""
    key_names = {column.name for column in target.primary_key.columns}
    differences = [
        stage.c[column.name].is_distinct_from(column)
        for column in target.columns
        if column.name not in key_names
    ]
    if not differences:
        return ()
    query = (
        sa.select(stage.c[LINE])
        .select_from(stage.join(target, _same_key(target, stage)))
        .where(sa.or_(*differences))
        .order_by(stage.c[LINE])
    )
    return tuple(int(line) for line in connection.execute(query).scalars().all())


def _insert_new_keys(connection: sa.Connection, target: sa.Table, stage: sa.Table) -> int:
    names = list(target.columns.keys())
    stored = sa.select(sa.literal(1)).select_from(target).where(_same_key(target, stage))
    new_rows = (
        sa.select(*(stage.c[name] for name in names))
        .where(~sa.exists(stored))
        .order_by(*(stage.c[name] for name in clustered(target.name, names)))
    )
    result = connection.execute(
        target.insert().from_select(names, new_rows),
        execution_options={"preserve_rowcount": True},
    )
    if result.rowcount < 0:
        raise RuntimeError(f"the {connection.dialect.name} driver did not count inserted rows")
    return int(result.rowcount)


def _load_rows_clickhouse(
    connection: sa.Connection, target: sa.Table, rows: pl.DataFrame
) -> LoadOutcome:
    """The same accounting on ClickHouse, which has no transactions, temporary tables
    over HTTP, primary keys or correlated subqueries.

    Dedup on insert: the rows are staged in a `Memory` table on the node we talk to, the
    conflicts found by the same join as elsewhere, and only keys the table does not hold
    yet are inserted (`NOT IN` the stored keys, read over every shard). So a second import
    of a file loads nothing and the tables hold each key once, and reads need no `FINAL`.
    Two imports of one file at the same moment could both insert a key; the tables'
    `ReplacingMergeTree` folds such twins at its next merge (`OPTIMIZE TABLE ... FINAL`
    forces it). The stage is dropped whatever happens: there is no rollback to do it.
    """
    from data.clickhouse_schema import column_type

    stage = _staging_table(target, temporary=False)
    columns = ", ".join(
        [f"{column.name} {column_type(column)}" for column in target.columns] + [f"{LINE} Int64"]
    )
    connection.execute(sa.text(f"CREATE TABLE {stage.name} ({columns}) ENGINE = Memory"))
    try:
        bulk_insert(connection, stage.name, rows.select(*target.columns.keys(), LINE))
        conflict_lines = _conflicting_lines(connection, target, stage)
        names = list(target.columns.keys())
        keys = [stage.c[column.name] for column in target.primary_key.columns]
        stored = sa.select(*target.primary_key.columns)
        new_rows = sa.select(*(stage.c[name] for name in names)).where(
            (sa.tuple_(*keys) if len(keys) > 1 else keys[0]).not_in(stored)
        )
        loaded = int(
            connection.execute(
                sa.select(sa.func.count()).select_from(new_rows.subquery())
            ).scalar_one()
        )
        if loaded:
            connection.execute(target.insert().from_select(names, new_rows))
    finally:
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {stage.name}"))
    return LoadOutcome(loaded, rows.height - loaded - len(conflict_lines), conflict_lines)
