"""Where the data lives and how we connect to it.

The database URL is resolved in one place so that the app, the report CLI, the importer and
the demo generator always agree on which database they talk to.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "data" / "campaigns.duckdb"
DEFAULT_DATABASE_URL = f"duckdb:///{DEFAULT_DATABASE_PATH}"
ENVIRONMENT_VARIABLE = "CAMPAIGN_DB_URL"
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"


def resolve_database_url(flag_url: str | None = None, secrets_path: Path = SECRETS_PATH) -> str:
    """Pick the database URL: `--db` flag, then `CAMPAIGN_DB_URL`, then secrets, then DuckDB.

    The secrets file uses the `[connections.campaigns] url = ...` shape of `st.connection`,
    so one file configures both the app and the command-line tools.
    """
    if flag_url:
        return flag_url
    from_environment = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if from_environment:
        return from_environment
    if secrets_path.is_file():
        with secrets_path.open("rb") as handle:
            secrets = tomllib.load(handle)
        url = secrets.get("connections", {}).get("campaigns", {}).get("url")
        if isinstance(url, str) and url.strip():
            return url.strip()
    return DEFAULT_DATABASE_URL


def is_duckdb(url: str) -> bool:
    """True for the embedded database, whose file-level locking and options differ."""
    return sa.make_url(url).get_backend_name() == "duckdb"


def duckdb_file(url: str) -> Path | None:
    """The file behind a DuckDB URL, or None for an in-memory or non-DuckDB database."""
    if not is_duckdb(url):
        return None
    database = sa.make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


DUCKDB_THREADS = int(os.environ.get("CAMPAIGN_DUCKDB_THREADS", "2"))
"""Threads per DuckDB connection: the 2 cores of the machines we measure on. DuckDB's
default is every core, which a server of several sessions would oversubscribe."""

DUCKDB_READER_MEMORY = os.environ.get("CAMPAIGN_DUCKDB_MEMORY_LIMIT", "256MB")
"""DuckDB's memory for one reader connection (it spills to a temporary directory beyond).

The default is 80 % of the machine's RAM, so a report on a big table could take 19 GB of
a 24 GB box. The report's largest state is one hash table over the campaign's users (1M
users of the 10M demo); with this limit the whole report process stays under 500 MB."""

DUCKDB_WRITER_MEMORY = os.environ.get("CAMPAIGN_DUCKDB_WRITER_MEMORY_LIMIT", "4GB")
"""The importer's and demo generator's bulk loads sort and insert millions of rows."""


def _duckdb_settings(engine: sa.Engine, memory_limit: str) -> sa.Engine:
    """Set DuckDB's threads, memory limit and quiet output on every new connection.

    DuckDB draws a progress bar on stderr for queries over two seconds: not in our output.
    These are per-connection settings (not all accepted in the connect config), so every
    new connection sets them. Values are ours (constants or the environment), never a
    user's, and `memory_limit` is checked by DuckDB itself.
    """
    statements = [
        "SET enable_progress_bar = false",
        f"SET threads = {int(DUCKDB_THREADS)}",
        "SET memory_limit = '" + memory_limit.replace("'", "") + "'",
    ]

    @sa.event.listens_for(engine, "connect")
    def _configure(connection: object, _record: object) -> None:
        for statement in statements:
            connection.execute(statement)  # type: ignore[attr-defined]

    return engine


def create_writer_engine(url: str) -> sa.Engine:
    """An engine that may write: for the importer, the demo generator and tests."""
    engine = sa.create_engine(url, pool_pre_ping=True)
    return _duckdb_settings(engine, DUCKDB_WRITER_MEMORY) if is_duckdb(url) else engine


def create_reader_engine(url: str) -> sa.Engine:
    """A read-only engine for the app and the report: they must never change the data.

    DuckDB opens the file with `read_only`, PostgreSQL starts every transaction with
    `default_transaction_read_only`, so even a bug cannot write.
    """
    if is_duckdb(url):
        return _duckdb_settings(
            sa.create_engine(url, pool_pre_ping=True, connect_args={"read_only": True}),
            DUCKDB_READER_MEMORY,
        )
    if sa.make_url(url).get_backend_name() == "postgresql":
        return sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    return sa.create_engine(url, pool_pre_ping=True)
