"""How the app's queries are compiled for a ClickHouse cluster, without a server: merged
subqueries, per-user groupings finished on the shards, constant CASE lookups.

The cluster tests (`test_clickhouse_report.py` and others) check the figures these give;
here the SQL's shape is pinned, so a change that sends every event row to one node again
fails at once.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from data.clickhouse_cluster import DistributedTable, parse_distributed
from data.clickhouse_shards import NO_MERGE
from data.dialect import prepare_engine
from data.schema import message_events as events


def _compiled(statement: sa.Select[Any], sharding: dict[str, bool]) -> str:
    engine = prepare_engine(sa.create_engine("clickhouse+http://u:p@127.0.0.1:1/db"))
    # the attribute data.clickhouse_sql.install adds to the dialect, which Dialect lacks
    engine.dialect.campaign_sharding = sharding  # type: ignore[attr-defined]
    return str(statement.compile(dialect=engine.dialect))


USER_SHARDED = {"message_events": True, "variants": False}


def _scoped() -> sa.Subquery:
    """Like `data.queries.events.scoped_events`: a projection and filter of the events."""
    return (
        sa.select(events.c.user_id, events.c.event_type, events.c.occurred_at)
        .where(events.c.campaign_id == "c")
        .subquery("events")
    )


def test_a_grouping_by_user_reads_the_table_itself_and_finishes_on_the_shards() -> None:
    scoped = _scoped()
    query = sa.select(scoped.c.user_id, sa.func.count().label("n")).group_by(scoped.c.user_id)
    sql = _compiled(query, USER_SHARDED)
    assert "FROM (SELECT" not in sql
    assert "FROM message_events WHERE message_events.campaign_id" in " ".join(sql.split())
    assert "GROUP BY message_events.user_id" in sql
    assert sql.endswith(NO_MERGE)


@pytest.mark.parametrize(
    "sharding", [{"message_events": False}, {}], ids=["sharded-otherwise", "one-server"]
)
def test_no_grouping_is_finished_on_the_shards_unless_they_are_sharded_by_user(
    sharding: dict[str, bool],
) -> None:
    scoped = _scoped()
    query = sa.select(scoped.c.user_id, sa.func.count().label("n")).group_by(scoped.c.user_id)
    assert "SETTINGS" not in _compiled(query, sharding)


def test_a_grouping_across_users_is_merged_by_the_initiator() -> None:
    scoped = _scoped()
    per_type = sa.select(scoped.c.event_type, sa.func.count().label("n")).group_by(
        scoped.c.event_type
    )
    assert "SETTINGS" not in _compiled(per_type, USER_SHARDED)
    # One grouping across users in the statement is enough to keep the merge for all.
    per_user = (
        sa.select(scoped.c.user_id, sa.func.count().label("n"))
        .group_by(scoped.c.user_id)
        .subquery("per_user")
    )
    outer = sa.select(sa.func.count()).where(
        per_user.c.user_id.in_(sa.select(events.c.user_id).limit(1).scalar_subquery())
    )
    assert "SETTINGS" not in _compiled(outer, USER_SHARDED)
    ordered = sa.select(events.c.user_id).order_by(events.c.user_id).limit(3)
    assert "SETTINGS" not in _compiled(ordered, USER_SHARDED)


def test_a_merged_expression_keeps_its_parentheses() -> None:
    shifted = (
        sa.select((sa.extract("epoch", events.c.occurred_at) + 3600).label("local_seconds"))
        .where(events.c.campaign_id == "c")
        .subquery("events")
    )
    query = sa.select((shifted.c.local_seconds / 86400).label("day"))
    sql = _compiled(query, USER_SHARDED)
    assert "SELECT (toUnixTimestamp(message_events.occurred_at) + %(param_1)s) / %(" in sql


def test_a_label_that_names_a_column_is_renamed_inside_and_given_back_outside() -> None:
    scoped = (
        sa.select(
            events.c.event_type,
            sa.case((events.c.event_type == "failed", events.c.error_code)).label("error_code"),
        )
        .where(events.c.campaign_id == "c")
        .subquery("keyed")
    )
    query = sa.select(scoped.c.error_code, sa.func.count().label("n")).group_by(scoped.c.error_code)
    sql = " ".join(_compiled(query, USER_SHARDED).split())
    assert sql.startswith("SELECT flat.flat_error_code AS error_code, flat.flat_n AS n FROM (")
    assert "END) AS flat_error_code" in sql


def test_a_subquery_that_groups_is_not_merged() -> None:
    grouped = (
        sa.select(events.c.user_id, sa.func.count().label("n"))
        .group_by(events.c.user_id)
        .subquery("grouped")
    )
    query = sa.select(sa.func.sum(grouped.c.n))
    assert "FROM (SELECT message_events.user_id" in _compiled(query, USER_SHARDED)


def test_a_constant_case_lookup_is_a_transform_and_null_takes_the_else() -> None:
    bit = sa.case(
        {"A": sa.literal(1, sa.BigInteger), "B": sa.literal(2, sa.BigInteger)},
        value=events.c.variant_id,
        else_=sa.literal(0, sa.BigInteger),
    )
    sql = _compiled(sa.select(bit.label("bit")), USER_SHARDED)
    assert (
        "if(isNull(message_events.variant_id), %(param_5)s, transform(assumeNotNull("
        "message_events.variant_id), [%(param_1)s, %(param_2)s], [%(param_3)s, %(param_4)s], "
        "%(param_5)s))"
    ) in sql
    # A CASE whose results are not constants stays a CASE.
    chosen = sa.case({"A": events.c.user_id}, value=events.c.variant_id, else_="x")
    assert "transform" not in _compiled(sa.select(chosen.label("c")), USER_SHARDED)


def test_the_sharding_key_is_read_from_the_distributed_engine() -> None:
    engine_full = (
        "Distributed(campaign_cluster, default, message_events_local, cityHash64(user_id))"
    )
    expected = DistributedTable(
        "campaign_cluster", "default", "message_events_local", "cityHash64(user_id)"
    )
    assert parse_distributed(engine_full) == expected
    assert parse_distributed("Distributed('c', 'db', 't')") == DistributedTable(
        "c", "db", "t", None
    )
    assert parse_distributed("ReplacingMergeTree() ORDER BY x") is None
