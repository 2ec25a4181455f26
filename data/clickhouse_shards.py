"""Per-user groupings finished on each shard (`distributed_group_by_no_merge`), when exact.

A GROUP BY over a `Distributed` table runs on every shard up to partial aggregation
states, which the node that got the query then merges key by key. The report's per-user
passes group the campaign's events by `user_id`, and our tables are sharded by
`cityHash64(user_id)`: every user's rows are on one shard, so each shard's groups are
already final and the merge only costs. With `distributed_group_by_no_merge = 1` the
shards finish their groups and the initiator concatenates them. Measured on the 10M demo
in the two-shard cluster (both servers' CPU time from /proc): the user pass took 4.8 s of
server CPU with the merge, 3.7 s without.

That setting applies to every read of a Distributed table in the statement: each one is
finished on its shard, and an ORDER BY, LIMIT, DISTINCT or GROUP BY across shards would
then be wrong. So a statement gets it only when every SELECT reading a Distributed table
directly (after `data.clickhouse_flatten`) is a plain projection and filter, or groups by
the `user_id` of a table whose sharding key is `user_id` alone (read from the server's
`system.tables` on the engine's first connection), and at least one does the latter. A
team's cluster sharded some other way never gets it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql.elements import Grouping, Label
from sqlalchemy.sql.selectable import Select

from data.clickhouse_cluster import distributed_tables
from data.clickhouse_flatten import row_wise

Read = Literal["other", "plain", "per_user", "merged"]

NO_MERGE = "\nSETTINGS distributed_group_by_no_merge = 1"
"""Appended to a statement whose per-user groupings may finish on each shard."""

_USER_KEY = re.compile(r"^(?:\w+\()*\s*user_id\s*\)*$")
"""A sharding key of `user_id` alone: `user_id`, `cityHash64(user_id)`, ..."""


def read_sharding(connection: sa.Connection) -> dict[str, bool]:
    """Our Distributed tables in the connection's database: whether each is sharded by
    its `user_id` alone."""
    return {
        name: bool(table.sharding_key and _USER_KEY.match(table.sharding_key))
        for name, table in distributed_tables(connection).items()
    }


def _bare(element: Any) -> Any:
    while isinstance(element, Label | Grouping):
        element = element.element
    return element


def classify(select: Select[Any], sharding: dict[str, bool]) -> Read:
    """How `select` reads a Distributed table: not directly ("other"), as a plain
    projection and filter, grouped by the user of a user-sharded table, or in a way the
    initiator must merge."""
    froms = select.get_final_froms()
    if len(froms) != 1 or not isinstance(froms[0], sa.Table) or froms[0].name not in sharding:
        return "other"
    table = froms[0]
    across_rows = (
        select._order_by_clauses
        or select._limit_clause is not None
        or select._offset_clause is not None
        or select._distinct
    )
    grouped = (
        bool(select._group_by_clauses)
        or bool(select._having_criteria)
        or not all(row_wise(column) for column in select.selected_columns)
    )
    if across_rows:
        return "merged"
    if not grouped:
        return "plain"
    by_user = "user_id" in table.c and any(
        _bare(clause) is table.c.user_id for clause in select._group_by_clauses
    )
    return "per_user" if sharding[table.name] and by_user else "merged"


def finishes_on_shards(reads: list[Read]) -> bool:
    """Whether a statement with these reads may carry `NO_MERGE`."""
    return "per_user" in reads and "merged" not in reads
