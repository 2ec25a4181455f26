"""The demo on the two-shard ClickHouse cluster gives DuckDB's report, key for key.

The demo is built twice from one seed: into a DuckDB file and, through the Distributed
tables, into the cluster. Every demo campaign's report is then compared as JSON under
several scopes (zones with half-hour offsets, weeks and months, exclusions, a variant
filter): equal values, floats within 1e-9. The demo's instants carry microseconds and
ClickHouse 18.16 stores whole seconds; truncating them to seconds changed none of the
demo's figures on DuckDB either (measured on the 200,000-event demo), so equality holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from data.database import create_reader_engine
from data.demo import main as demo_main
from data.queries.campaign_summary import campaign_summary
from data.schema import campaigns
from data.vocabulary import Granularity
from metrics.report import build_report, default_scope
from tests.support import clickhouse

pytestmark = pytest.mark.xdist_group("clickhouse")

DEMO_EVENTS = 20_000

SCOPES: list[dict[str, Any]] = [
    {},
    {"tz": "Asia/Kolkata", "exclude_test_users": True, "exclude_machine": True},
    {"tz": "America/New_York"},
]
GRANULARITIES: list[Granularity] = ["day", "week", "month"]


@pytest.fixture(scope="module")
def demo_pair(
    clickhouse_cluster: clickhouse.ClickHouseCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(DuckDB URL, cluster URL), each holding the same 20,000-event demo."""
    duckdb_url = f"duckdb:///{tmp_path_factory.mktemp('ch-demo') / 'demo.duckdb'}"
    for url in (duckdb_url, clickhouse_cluster.url):
        assert demo_main(["--db", url, "--events", str(DEMO_EVENTS)]) == 0
    yield duckdb_url, clickhouse_cluster.url
    clickhouse.truncate(clickhouse_cluster)


def _differences(left: Any, right: Any, path: str = "") -> list[str]:
    """Where two JSON values differ (floats within 1e-9)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return [
            difference
            for key in sorted(set(left) | set(right))
            for difference in _differences(left.get(key), right.get(key), f"{path}.{key}")
        ]
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} items against {len(right)}"]
        return [
            difference
            for index, (a, b) in enumerate(zip(left, right, strict=True))
            for difference in _differences(a, b, f"{path}[{index}]")
        ]
    both_numbers = all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in (left, right)
    )
    if both_numbers and (isinstance(left, float) or isinstance(right, float)):
        return [] if abs(left - right) <= 1e-9 else [f"{path}: {left!r} against {right!r}"]
    return [] if left == right else [f"{path}: {left!r} against {right!r}"]


def _report(url: str, campaign_id: str, granularity: Granularity, **scope: Any) -> Any:
    engine = create_reader_engine(url)
    try:
        with engine.connect() as connection:
            report = build_report(
                connection, default_scope(connection, campaign_id, **scope), granularity
            )
    finally:
        engine.dispose()
    return json.loads(report.model_dump_json())


def _campaign_ids(url: str) -> list[str]:
    engine = create_reader_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(sa.select(campaigns.c.campaign_id)).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("granularity", GRANULARITIES)
@pytest.mark.parametrize("scope", SCOPES, ids=["utc", "kolkata-exclusions", "new-york"])
def test_every_demo_campaign_reports_the_same_on_the_cluster(
    demo_pair: tuple[str, str], scope: dict[str, Any], granularity: Granularity
) -> None:
    duckdb_url, cluster_url = demo_pair
    campaign_ids = _campaign_ids(duckdb_url)
    assert campaign_ids == _campaign_ids(cluster_url)
    assert len(campaign_ids) == 4
    for campaign_id in campaign_ids:
        expected = _report(duckdb_url, campaign_id, granularity, **scope)
        got = _report(cluster_url, campaign_id, granularity, **scope)
        assert _differences(expected, got) == [], campaign_id


def test_a_variant_filter_reports_the_same_on_the_cluster(demo_pair: tuple[str, str]) -> None:
    duckdb_url, cluster_url = demo_pair
    for variant in ("A", "control"):
        expected = _report(duckdb_url, "push_black_friday", "day", variant=variant)
        got = _report(cluster_url, "push_black_friday", "day", variant=variant)
        assert expected["kpis"]["messages_sent"] or variant == "control"
        assert _differences(expected, got) == [], variant


def test_the_demo_is_spread_over_both_shards(
    demo_pair: tuple[str, str], clickhouse_cluster: clickhouse.ClickHouseCluster
) -> None:
    counts = []
    for url in clickhouse_cluster.shard_urls:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                counts.append(
                    connection.execute(
                        sa.text("SELECT count() FROM message_events_local")
                    ).scalar_one()
                )
        finally:
            engine.dispose()
    duckdb = sa.create_engine(demo_pair[0])
    try:
        with duckdb.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*) FROM message_events")).scalar_one()
    finally:
        duckdb.dispose()
    assert sum(counts) == stored
    assert min(counts) > 0.4 * sum(counts)


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata"])
@pytest.mark.parametrize("flags", [False, True], ids=["all", "exclusions"])
def test_the_campaigns_page_summary_is_the_same_on_the_cluster(
    demo_pair: tuple[str, str], tz: str, flags: bool
) -> None:
    frames = []
    for url in demo_pair:
        engine = create_reader_engine(url)
        try:
            with engine.connect() as connection:
                frames.append(
                    campaign_summary(
                        connection, tz, exclude_test_users=flags, exclude_machine=flags
                    ).sort("campaign_id")
                )
        finally:
            engine.dispose()
    expected, got = frames
    assert expected.height == 4
    assert got.schema == expected.schema
    assert got.equals(expected)
