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


def _without_progress_bar(engine: sa.Engine) -> sa.Engine:
    """DuckDB draws a progress bar on stderr for queries over two seconds: not in our output.

    It is a per-connection setting (not accepted in the connect config), so every new
    connection turns it off.
    """

    @sa.event.listens_for(engine, "connect")
    def _quiet(connection: object, _record: object) -> None:
        connection.execute("SET enable_progress_bar = false")  # type: ignore[attr-defined]

    return engine


def create_writer_engine(url: str) -> sa.Engine:
    """An engine that may write: for the importer, the demo generator and tests."""
    engine = sa.create_engine(url, pool_pre_ping=True)
    return _without_progress_bar(engine) if is_duckdb(url) else engine


def create_reader_engine(url: str) -> sa.Engine:
    """A read-only engine for the app and the report: they must never change the data.

    DuckDB opens the file with `read_only`, PostgreSQL starts every transaction with
    `default_transaction_read_only`, so even a bug cannot write.
    """
    if is_duckdb(url):
        return _without_progress_bar(
            sa.create_engine(url, pool_pre_ping=True, connect_args={"read_only": True})
        )
    if sa.make_url(url).get_backend_name() == "postgresql":
        return sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    return sa.create_engine(url, pool_pre_ping=True)
