"""Fixtures of the data tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import clickhouse


@pytest.fixture(name="cluster")
def emptied_clickhouse_cluster(
    clickhouse_cluster: clickhouse.ClickHouseCluster,
) -> Iterator[clickhouse.ClickHouseCluster]:
    """The session's two-shard ClickHouse cluster, emptied after each test (its tables
    stay), for the tests that import into it or replace its data."""
    yield clickhouse_cluster
    clickhouse.truncate(clickhouse_cluster)
