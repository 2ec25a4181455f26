"""The schema on a two-shard ClickHouse cluster: tables, round trips and where rows land."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.clickhouse_schema import LOCAL_SUFFIX
from data.database import create_writer_engine
from data.schema import TABLES, main
from tests.data.test_schema import ROWS
from tests.support import clickhouse

pytestmark = pytest.mark.xdist_group("clickhouse")


def _tables(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT name, engine FROM system.tables WHERE database = currentDatabase()")
            ).all()
    finally:
        engine.dispose()
    return {str(name): str(kind) for name, kind in rows}


def test_schema_command_creates_local_and_distributed_tables_on_every_shard(
    cluster: clickhouse.ClickHouseCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    shard_flags = [flag for url in cluster.shard_urls for flag in ("--shard", url)]
    # The fixture made them already: a second run creates nothing and fails on nothing.
    status = main(["--db", cluster.url, "--cluster", clickhouse.CLUSTER_NAME, *shard_flags])
    assert status == 0
    assert "schema ready on cluster campaign_cluster" in capsys.readouterr().out
    expected = {name: "Distributed" for name in TABLES} | {
        name + LOCAL_SUFFIX: "ReplacingMergeTree" for name in TABLES
    }
    for url in cluster.shard_urls:
        assert _tables(url) == expected


def test_cluster_flags_are_refused_on_other_backends(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--db", "duckdb:///:memory:", "--cluster", "c", "--shard", "x"])
    assert "apply to ClickHouse URLs" in capsys.readouterr().err


def test_every_table_round_trips_through_the_distributed_tables(
    cluster: clickhouse.ClickHouseCluster,
) -> None:
    engine = create_writer_engine(cluster.url)
    try:
        with engine.connect() as connection:
            for name, row in ROWS.items():
                connection.execute(TABLES[name].insert().values(**row))
            for name, row in ROWS.items():
                stored = connection.execute(sa.select(TABLES[name])).mappings().one()
                for column, value in row.items():
                    assert stored[column] == value, (name, column)
                    if isinstance(value, dt.datetime):
                        assert stored[column].utcoffset() == dt.timedelta(0)
    finally:
        engine.dispose()


def test_a_users_rows_stay_on_one_shard(cluster: clickhouse.ClickHouseCluster) -> None:
    """Sharding by cityHash64(user_id): the per-user pass then groups each user locally."""
    base = dict(ROWS["message_events"])
    events = [
        base | {"event_id": f"e{user}-{n}", "user_id": f"u{user}"}
        for user in range(40)
        for n in range(3)
    ]
    engine = create_writer_engine(cluster.url)
    try:
        with engine.connect() as connection:
            connection.execute(TABLES["message_events"].insert(), events)
    finally:
        engine.dispose()
    shards_of_user: dict[str, set[int]] = {}
    for index, url in enumerate(cluster.shard_urls):
        shard = sa.create_engine(url)
        try:
            with shard.connect() as connection:
                local = "message_events" + LOCAL_SUFFIX
                counts = connection.execute(
                    sa.text(f"SELECT user_id, count() FROM {local} GROUP BY user_id")
                ).all()
        finally:
            shard.dispose()
        for user, count in counts:
            assert count == 3
            shards_of_user.setdefault(str(user), set()).add(index)
    assert len(shards_of_user) == 40
    assert all(len(shards) == 1 for shards in shards_of_user.values())
    assert {next(iter(shards)) for shards in shards_of_user.values()} == {0, 1}
