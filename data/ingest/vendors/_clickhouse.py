"""The rows a vendor import derives, on ClickHouse (`--db clickhouse+http://...`).

On DuckDB and PostgreSQL `data.ingest.vendors._derived` stages candidates in temporary tables
and writes with window functions, DELETE and UPDATE inside the file's transaction.
ClickHouse 18.16 (the release we support) has none of that: no transactions, no
temporary tables over HTTP, no window functions, no correlated subqueries, and no UPDATE
or DELETE through a `Distributed` table. So here:

- the candidates of the whole import (not of one file: a file's end could not correct
  what an earlier file wrote) are staged in tables on the node the import talks to,
  dropped at the end whatever happens; the import's end writes with INSERT ... SELECT:
  `argMin` over `(occurred_at, event_id)` picks each key's earliest candidate (the row
  DuckDB's `row_number()` picks), and `NOT IN` the stored keys keeps re-imports no-ops.
  Each `entered` row is counted as derived on the line of the file its source row is in;
- an `entered` row stored by an earlier import stays where it is: a later export holding
  an earlier candidate adds nothing (moving it needs a DELETE);
- users: only users not stored yet are added, with the platform and device of their
  latest record in the last file carrying them, as on DuckDB; a stored user keeps what
  it has (that needs an UPDATE).

Every write is an insert of keys not stored yet, so an import that dies half-way is
completed by running it again (docs/decisions.md, "Vendor imports").
"""

from __future__ import annotations

import uuid

import polars as pl
import sqlalchemy as sa

from data.ingest.bulk import bulk_insert
from data.ingest.vendors._derived import (
    DERIVED_PREFIX,
    ENTRY_COLUMNS,
    USER_COLUMNS,
    devices_seen,
    entry_candidates,
)

_TYPES = {
    "campaign_id": "String",
    "user_id": "String",
    "run_key": "String",
    "event_id": "String",
    "occurred_at": "DateTime('UTC')",
    "file_index": "UInt32",
    "platform_at": "Nullable(DateTime('UTC'))",
    "device_at": "Nullable(DateTime('UTC'))",
}
"""Column types of the stage tables; any other column is `Nullable(String)`."""


def _stage(connection: sa.Connection, kind: str, columns: tuple[str, ...]) -> str:
    """Create a stage table with `columns` under a fresh name; returns the name.

    A `MergeTree` on disk, not a `Memory` table: an import's candidates grow with the
    export, and the server's memory should not.
    """
    name = f"vendor_{kind}_{uuid.uuid4().hex[:12]}"
    body = ", ".join(f"{column} {_TYPES.get(column, 'Nullable(String)')}" for column in columns)
    connection.execute(
        sa.text(f"CREATE TABLE {name} ({body}) ENGINE = MergeTree() ORDER BY tuple()")
    )
    return name


class ClickHouseDerivations:
    """`data.ingest.vendors._derived.Derivations` for a whole import on ClickHouse.

    `add` stages a batch of the file given to `start_file`; `finish` writes the derived
    rows once, when every file is read.
    """

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection
        self._entries = _stage(connection, "entries", (*ENTRY_COLUMNS, "file_index"))
        self._users = _stage(connection, "users", (*USER_COLUMNS, "file_index"))
        self._earliest: str | None = None
        self._file = 0

    def start_file(self, index: int) -> None:
        """The batches that follow come from the import's file number `index`."""
        self._file = index

    def add(self, events: pl.DataFrame, sessions: pl.DataFrame, conversions: pl.DataFrame) -> None:
        """Stage a batch's entry candidates (the earliest per key) and users (the latest)."""
        file_index = pl.lit(self._file, pl.UInt32).alias("file_index")
        bulk_insert(
            self._connection, self._entries, entry_candidates(events).with_columns(file_index)
        )
        seen = devices_seen(events, sessions, conversions).with_columns(file_index)
        bulk_insert(self._connection, self._users, seen)

    def finish(self) -> dict[int, int]:
        """Write the derived rows; returns the `entered` rows added, by file index."""
        derived = self._write_entries()
        self._write_users()
        self.close()
        return derived

    def close(self) -> None:
        """Drop the stage tables (there is no rollback to do it)."""
        for name in (self._entries, self._users, self._earliest):
            if name is not None:
                self._connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))

    def _write_entries(self) -> dict[int, int]:
        """One `entered` row per key of the file with no derived entry stored yet.

        The new rows go into a stage first, so that they can be counted (ClickHouse's
        INSERT returns no row count) and the count is the rows inserted.
        """
        connection = self._connection
        self._earliest = _stage(connection, "earliest", (*ENTRY_COLUMNS, "file_index"))
        keys = ("campaign_id", "user_id", "run_key")
        others = [column for column in (*ENTRY_COLUMNS, "file_index") if column not in keys]
        picked = ", ".join(
            f"tupleElement(earliest_row, {index}) AS {column}"
            for index, column in enumerate(others, 1)
        )
        connection.execute(
            sa.text(
                f"INSERT INTO {self._earliest} ({', '.join([*keys, *others])}) "
                f"SELECT {', '.join(keys)}, {picked} FROM ("
                f"SELECT {', '.join(keys)}, argMin(tuple({', '.join(others)}), "
                "tuple(occurred_at, event_id)) AS earliest_row "
                f"FROM {self._entries} GROUP BY {', '.join(keys)}) "
                f"WHERE ({', '.join(keys)}) NOT IN ("
                "SELECT campaign_id, user_id, ifNull(run_id, '') FROM message_events "
                "WHERE event_type = 'entered' AND startsWith(event_id, :prefix))"
            ),
            {"prefix": DERIVED_PREFIX},
        )
        derived = {
            int(index): int(count)
            for index, count in connection.execute(
                sa.text(f"SELECT file_index, count() FROM {self._earliest} GROUP BY file_index")
            )
        }
        if derived:
            connection.execute(
                sa.text(
                    "INSERT INTO message_events (event_id, campaign_id, user_id, event_type, "
                    "occurred_at, run_id, variant_id, platform, device_model) "
                    "SELECT concat(:prefix, event_id), campaign_id, user_id, 'entered', "
                    f"occurred_at, run_id, variant_id, platform, device_model FROM {self._earliest}"
                ),
                {"prefix": DERIVED_PREFIX},
            )
        return derived

    def _write_users(self) -> None:
        """Users not stored yet, each with the platform and device of its last file.

        A later file wins, then a later time, then the greater value, as on DuckDB.
        """
        self._connection.execute(
            sa.text(
                "INSERT INTO users (user_id, platform, device_model) "
                "SELECT user_id, "
                "argMaxIf(platform, tuple(file_index, platform_at, platform), "
                "isNotNull(platform)), "
                "argMaxIf(device_model, tuple(file_index, device_at, device_model), "
                "isNotNull(device_model)) "
                f"FROM {self._users} WHERE user_id NOT IN (SELECT user_id FROM users) "
                "GROUP BY user_id"
            )
        )
