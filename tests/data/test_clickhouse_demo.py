"""`python -m data.demo --replace` on ClickHouse: one server, and every shard of a cluster."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from data.demo import generate_demo
from data.demo import main as demo_main
from tests.support import clickhouse

pytestmark = pytest.mark.xdist_group("clickhouse")

EVENTS = 2_000


def _scalar(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def _event_rows(url: str) -> tuple[int, int]:
    """(rows, distinct event ids) of message_events at `url`."""
    rows = _scalar(url, "SELECT count() FROM message_events")
    return rows, _scalar(url, "SELECT uniqExact(event_id) FROM message_events")


def _shard_flags(cluster: clickhouse.ClickHouseCluster) -> list[str]:
    return [flag for url in cluster.shard_urls for flag in ("--shard", url)]


def test_replace_rebuilds_the_demo_on_every_shard_of_the_cluster(
    cluster: clickhouse.ClickHouseCluster,
) -> None:
    assert demo_main(["--db", cluster.url, "--events", str(EVENTS)]) == 0
    first = _event_rows(cluster.url)[0]
    replaced = ["--db", cluster.url, "--events", str(EVENTS), "--seed", "8", "--replace"]
    assert demo_main([*replaced, *_shard_flags(cluster)]) == 0
    expected = generate_demo(EVENTS, seed=8)["message_events"].height
    assert first > 0
    assert _event_rows(cluster.url) == (expected, expected)
    per_shard = [
        _scalar(url, "SELECT count() FROM message_events_local") for url in cluster.shard_urls
    ]
    assert sum(per_shard) == expected
    assert all(rows > 0 for rows in per_shard)
    campaigns = generate_demo(EVENTS, seed=8)["campaigns"].height
    assert _scalar(cluster.url, "SELECT count() FROM campaigns") == campaigns


def test_replace_refuses_a_cluster_when_a_shard_is_missing_and_empties_nothing(
    cluster: clickhouse.ClickHouseCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_main(["--db", cluster.url, "--events", str(EVENTS)]) == 0
    before = _event_rows(cluster.url)
    only_first = ["--shard", cluster.shard_urls[0]]
    assert demo_main(["--db", cluster.url, "--replace", *only_first]) == 2
    assert "do not reach shard(s) 2 of cluster campaign_cluster" in capsys.readouterr().err
    assert demo_main(["--db", cluster.url, "--replace"]) == 2
    assert "give every shard's URL (--shard URL" in capsys.readouterr().err
    assert _event_rows(cluster.url) == before


def test_replace_empties_the_tables_of_a_single_server(
    clickhouse_cluster: clickhouse.ClickHouseCluster,
) -> None:
    """A server without Distributed tables (`data.schema` without `--cluster`)."""
    database = f"single_{uuid.uuid4().hex[:8]}"
    node = clickhouse_cluster.url
    engine = sa.create_engine(node)
    with engine.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {database}"))
    engine.dispose()
    url = clickhouse.in_database(node, database)
    try:
        assert demo_main(["--db", url, "--events", str(EVENTS)]) == 0
        assert demo_main(["--db", url, "--events", str(EVENTS), "--seed", "8", "--replace"]) == 0
        expected = generate_demo(EVENTS, seed=8)["message_events"].height
        assert _event_rows(url) == (expected, expected)
    finally:
        engine = sa.create_engine(node)
        with engine.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {database}"))
        engine.dispose()
