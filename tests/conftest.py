"""Shared fixtures: every database test runs once on DuckDB and once on PostgreSQL 15.

`engine` gives an empty, fully created schema: DuckDB in memory, PostgreSQL in a fresh
schema of a throwaway cluster that this test session starts on loopback and stops at exit.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from data.schema import create_schema
from tests.support import clickhouse, postgres

BACKENDS = ["duckdb", "postgresql"]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[postgres.PostgresCluster]:
    if not postgres.available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL 15 is not installed: run `make test`, which installs it")
        pytest.skip("PostgreSQL 15 is not installed (apt-get install -y postgresql)")
    cluster = postgres.start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def clickhouse_cluster() -> Iterator[clickhouse.ClickHouseCluster]:
    """Two ClickHouse servers on loopback, two shards of one cluster, with our schema.

    Per xdist worker; tests that use it carry `xdist_group("clickhouse")` so one worker
    starts it (about a second) and the others do not.
    """
    if not clickhouse.available():
        if os.environ.get("CI"):
            pytest.fail("clickhouse-server is not installed: run `make test`, which installs it")
        pytest.skip("clickhouse-server is not installed (apt-get install -y clickhouse-server)")
    cluster = clickhouse.start_cluster()
    try:
        clickhouse.create_cluster_schema(cluster)
        yield cluster
    finally:
        cluster.stop()


def _postgres_schema_engine(cluster: postgres.PostgresCluster) -> Iterator[sa.Engine]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(cluster.url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(
        cluster.url, connect_args={"options": f"-c search_path={schema} -c TimeZone=UTC"}
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_engine(request: pytest.FixtureRequest, backend: str) -> Iterator[sa.Engine]:
    """An engine on an empty database with no tables, for either backend."""
    if backend == "duckdb":
        engine = sa.create_engine("duckdb:///:memory:")
        yield engine
        engine.dispose()
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        yield from _postgres_schema_engine(cluster)


@pytest.fixture
def engine(empty_engine: sa.Engine) -> sa.Engine:
    """An engine on a database with every table of the event schema, empty."""
    create_schema(empty_engine)
    return empty_engine
