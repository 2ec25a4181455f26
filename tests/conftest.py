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

from data.database import create_writer_engine
from data.schema import create_schema
from tests.support import clickhouse, postgres

BACKENDS = ["duckdb", "postgresql"]
WITH_CLICKHOUSE = [*BACKENDS, "clickhouse"]
"""For modules whose tests also run on the two-shard ClickHouse cluster: they override
`backend` with these params."""


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
    elif backend == "clickhouse":
        cluster = request.getfixturevalue("clickhouse_cluster")
        yield from _clickhouse_database_engine(cluster)
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        yield from _postgres_schema_engine(cluster)


def _clickhouse_database_engine(cluster: clickhouse.ClickHouseCluster) -> Iterator[sa.Engine]:
    """A fresh database of that name on both shards, dropped after the test."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    for url in cluster.shard_urls:
        admin = sa.create_engine(url)
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {database}"))
        admin.dispose()
    engine = create_writer_engine(clickhouse.in_database(cluster.url, database))
    try:
        yield engine
    finally:
        engine.dispose()
        for url in cluster.shard_urls:
            admin = sa.create_engine(url)
            with admin.connect() as connection:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {database}"))
            admin.dispose()


@pytest.fixture
def engine(request: pytest.FixtureRequest, empty_engine: sa.Engine) -> sa.Engine:
    """An engine on a database with every table of the event schema, empty.

    On ClickHouse: the cluster layout (local tables on both shards, Distributed ones over
    them) in the engine's database.
    """
    if empty_engine.dialect.name == "clickhouse":
        cluster = request.getfixturevalue("clickhouse_cluster")
        database = str(empty_engine.url.database)
        clickhouse.create_cluster_schema(cluster, database)
        return empty_engine
    create_schema(empty_engine)
    return empty_engine
