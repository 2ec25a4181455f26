"""Which database the tools open, and that the app's engine can only read."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from data import database
from data.database import (
    DEFAULT_DATABASE_URL,
    create_reader_engine,
    create_writer_engine,
    resolve_database_url,
)
from data.schema import create_schema
from tests.support.postgres import PostgresCluster

SECRETS = '[connections.campaigns]\nurl = "postgresql+psycopg://from-secrets/db"\n'


def test_the_flag_wins_over_environment_secrets_and_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS)
    monkeypatch.setenv("CAMPAIGN_DB_URL", "duckdb:///from-env.duckdb")
    assert resolve_database_url("duckdb:///flag.duckdb", secrets) == "duckdb:///flag.duckdb"
    assert resolve_database_url(None, secrets) == "duckdb:///from-env.duckdb"
    monkeypatch.delenv("CAMPAIGN_DB_URL")
    assert resolve_database_url(None, secrets) == "postgresql+psycopg://from-secrets/db"
    assert resolve_database_url(None, tmp_path / "missing.toml") == DEFAULT_DATABASE_URL


def test_secrets_without_the_campaigns_connection_fall_back_to_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAMPAIGN_DB_URL", raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[connections.other]\nurl = "postgresql://elsewhere/db"\n')
    assert resolve_database_url(None, secrets) == DEFAULT_DATABASE_URL


def test_the_readers_duckdb_connection_refuses_to_write(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'read-only.duckdb'}"
    writer = create_writer_engine(url)
    create_schema(writer)
    writer.dispose()
    reader = create_reader_engine(url)
    with reader.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        connection.execute(sa.text("INSERT INTO users (user_id) VALUES ('u1')"))
    reader.dispose()


def test_duckdb_engines_draw_no_progress_bar(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'quiet.duckdb'}"
    for make_engine in (create_writer_engine, create_reader_engine):
        engine = make_engine(url)
        with engine.connect() as connection:
            setting = connection.execute(sa.text("SELECT current_setting('enable_progress_bar')"))
            assert setting.scalar_one() is False, make_engine.__name__
        engine.dispose()


def test_the_readers_postgresql_sessions_are_read_only(postgres_cluster: PostgresCluster) -> None:
    reader = create_reader_engine(postgres_cluster.url)
    with reader.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        connection.execute(sa.text("CREATE TABLE not_allowed (x int)"))
    reader.dispose()


def test_the_readers_postgresql_sessions_take_the_configured_parallel_workers(
    postgres_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One worker per query step by default (`POSTGRES_PARALLEL_WORKERS`: PostgreSQL's 2
    ran three processes on our two cores), and what the setting says once it is changed."""
    for configured, expected in ((database.POSTGRES_PARALLEL_WORKERS, "1"), (3, "3")):
        monkeypatch.setattr(database, "POSTGRES_PARALLEL_WORKERS", configured)
        reader = create_reader_engine(postgres_cluster.url)
        with reader.connect() as connection:
            shown = connection.execute(sa.text("SHOW max_parallel_workers_per_gather"))
            assert shown.scalar_one() == expected
        reader.dispose()
