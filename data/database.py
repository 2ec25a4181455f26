"""Where the data lives and how we connect to it.

The database URL is resolved in one place so that the app, the report CLI, the importer and
the demo generator always agree on which database they talk to.
"""

from __future__ import annotations

import os
import re
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import sqlalchemy as sa

from data.dialect import clickhouse_options, prepare_engine

if TYPE_CHECKING:
    import duckdb
    import psycopg

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

POSTGRES_PARALLEL_WORKERS = int(os.environ.get("CAMPAIGN_POSTGRES_PARALLEL_WORKERS", "1"))
"""Parallel workers per query step (`max_parallel_workers_per_gather`) of a reader session.

PostgreSQL's default of 2 runs three processes (a leader and two workers) on the 2-core
machines we measure on, and each of them builds its own copy of a join's hash: the
sessions pass hashed the campaign's 104k entered users three times. With 1, the 1M
report as a whole process took 2.14 s instead of 2.45 s, and 2.26 s with 0 (medians of
eight alternating runs, the same JSON). Raise it on a server with more cores."""

DUCKDB_READER_MEMORY = os.environ.get("CAMPAIGN_DUCKDB_MEMORY_LIMIT", "128MB")
"""DuckDB's memory for one reader connection (it spills to a temporary directory beyond).

The default is 80 % of the machine's RAM, so a report on a big table could take 19 GB of
a 24 GB box. The report's largest state is one hash table over the campaign's users (2.6M
users in the 25M demo's largest campaign). Measured peak RSS of `python -m metrics.report`
there: 565 MB with 256MB, 524 MB with 192MB, 490 MB with 160MB (the imports alone take
215 MB). The report has since grown (the funnel, the Explore reads): 511-518 MB with
160MB, 475-490 MB with 128MB, with no slower a report (5.3-5.8 s against 5.6-6.4 s at
25M; 2.7-3.0 s against 3.2-3.4 s at 10M), so 128MB keeps the whole process under 500 MB
whatever the table size."""

DUCKDB_WRITER_MEMORY = os.environ.get("CAMPAIGN_DUCKDB_WRITER_MEMORY_LIMIT", "4GB")
"""The importer's and demo generator's bulk loads sort and insert millions of rows."""


class ExecutingConnection(Protocol):
    """What a `connect` listener needs of a DuckDB DB-API connection: `execute`."""

    def execute(self, query: str) -> object: ...


def driver_connection(connection: sa.Connection) -> Any:
    """The driver's own connection under `connection`, for calls SQLAlchemy does not wrap.

    SQLAlchemy types it `Any | None` (None once the connection is closed): a closed
    connection fails here, by name, not on the first attribute. The result is `Any`
    because clickhouse-sqlalchemy's connection has no type information; DuckDB's and
    psycopg's have their own typed accessors below.
    """
    raw = connection.connection.driver_connection
    if raw is None:
        raise sa.exc.ResourceClosedError("this connection has no driver connection (closed)")
    return raw


def duckdb_driver(connection: sa.Connection) -> duckdb.DuckDBPyConnection:
    """DuckDB's connection under a SQLAlchemy one on DuckDB (Arrow, relations, interrupt).

    duckdb_engine hands out a `ConnectionWrapper` that forwards every attribute to the
    `DuckDBPyConnection` it wraps, so it is used, and typed, as that connection.
    """
    return cast("duckdb.DuckDBPyConnection", driver_connection(connection))


def psycopg_driver(connection: sa.Connection) -> psycopg.Connection[Any]:
    """psycopg's connection under a SQLAlchemy one on PostgreSQL (for `COPY`)."""
    return cast("psycopg.Connection[Any]", driver_connection(connection))


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
    def _configure(connection: ExecutingConnection, _record: object) -> None:
        for statement in statements:
            connection.execute(statement)

    return engine


QUERY_TIMEOUT_VARIABLE = "CAMPAIGN_QUERY_TIMEOUT_SECONDS"
DEFAULT_QUERY_TIMEOUT_SECONDS = 60.0
"""A reader's statement may run this long. The slowest statement of a report on a
10-million-event campaign takes a few seconds; a minute means something is wrong (a
runaway query, a database under load), and the session must say so instead of hanging."""


class QueryTimeoutError(RuntimeError):
    """A reader's statement ran past the query timeout and was cancelled."""


def query_timeout_seconds() -> float | None:
    """The reader's statement timeout: `CAMPAIGN_QUERY_TIMEOUT_SECONDS`, 0 for none.

    Read when an engine is made, so a test (or an operator) can set it without a restart
    of anything but the engine.
    """
    text = os.environ.get(QUERY_TIMEOUT_VARIABLE, "").strip()
    try:
        seconds = float(text) if text else DEFAULT_QUERY_TIMEOUT_SECONDS
    except ValueError:
        seconds = DEFAULT_QUERY_TIMEOUT_SECONDS
    return seconds if seconds > 0 else None


def timeout_message(seconds: float) -> str:
    return (
        f"the query took longer than {seconds:g} s and was stopped; try a shorter date "
        "range, or retry when the database is less busy"
    )


def _is_cancelled(error: BaseException | None) -> bool:
    """A DuckDB interrupt or PostgreSQL's `query_canceled` (SQLSTATE 57014)."""
    if error is None:
        return False
    if getattr(error, "sqlstate", None) == "57014":
        return True
    return type(error).__name__ == "InterruptException"


def interrupt_after(seconds: float, interrupt: Callable[[], object]) -> threading.Timer:
    """A started daemon timer that calls DuckDB's thread-safe `interrupt` after `seconds`;
    cancel it when the statement returns. Every DuckDB read arms one: SQLAlchemy's executes
    through the engine event below, `data.frames` for its Arrow fetches."""
    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    return timer


def _duckdb_interrupt_after(engine: sa.Engine, seconds: float) -> None:
    """DuckDB has no statement timeout: a timer interrupts a statement that runs too long.

    The timer starts before each statement and is cancelled when it returns; `interrupt`
    is DuckDB's thread-safe way to stop the query running on a connection.
    """

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: sa.Connection, cursor: Any, *_: object) -> None:
        conn.info["campaign_timer"] = interrupt_after(seconds, cursor.interrupt)

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: sa.Connection, *_: object) -> None:
        timer = conn.info.pop("campaign_timer", None)
        if timer is not None:
            timer.cancel()


def _connection_info(connection: sa.Connection | None) -> dict[Any, Any]:
    """The connection's `info`, or an empty one where there is none.

    The first connection's set-up (the dialect asking the server's version) runs on a bare
    DB-API connection whose `info` raises NotImplementedError; raised from an error handler,
    that replaced the real failure (ClickHouse unreachable read as a version comparison).
    """
    if connection is None:
        return {}
    try:
        return connection.info
    except NotImplementedError:
        return {}


def _with_timeout(engine: sa.Engine, seconds: float | None) -> sa.Engine:
    """Turn a cancelled statement into a `QueryTimeoutError` that says what happened."""
    if seconds is None:
        return engine
    if is_duckdb(str(engine.url)):
        _duckdb_interrupt_after(engine, seconds)

    @sa.event.listens_for(engine, "handle_error")
    def _translate(context: sa.engine.ExceptionContext) -> BaseException | None:
        timer = _connection_info(context.connection).pop("campaign_timer", None)
        if timer is not None:
            timer.cancel()
        if _is_cancelled(context.original_exception):
            return QueryTimeoutError(timeout_message(seconds))
        return None

    return engine


def create_writer_engine(url: str) -> sa.Engine:
    """An engine that may write: for the importer, the demo generator and tests."""
    engine = prepare_engine(
        sa.create_engine(url, pool_pre_ping=True, **clickhouse_options(url, reader=False))
    )
    return _duckdb_settings(engine, DUCKDB_WRITER_MEMORY) if is_duckdb(url) else engine


def create_reader_engine(url: str) -> sa.Engine:
    """A read-only engine for the app and the report: they must never change the data.

    DuckDB opens the file with `read_only`, PostgreSQL starts every transaction with
    `default_transaction_read_only`, so even a bug cannot write. Each statement may run
    `query_timeout_seconds()` (PostgreSQL's `statement_timeout`, an interrupt on DuckDB);
    past it, `QueryTimeoutError` says so.
    """
    timeout = query_timeout_seconds()
    if is_duckdb(url):
        engine = _duckdb_settings(
            sa.create_engine(url, pool_pre_ping=True, connect_args={"read_only": True}),
            DUCKDB_READER_MEMORY,
        )
    elif sa.make_url(url).get_backend_name() == "postgresql":
        # jit=off: PostgreSQL's JIT compiled the report's largest statement for 0.6 s of its
        # 3 s on the 1M demo, every time (the app's statements run once per view, so the
        # compiled code is never reused). work_mem=64MB: at the default 4MB the counting
        # pass sorted on disk (external merge, 5 MB per worker) instead of hashing.
        options = (
            "-c default_transaction_read_only=on -c jit=off -c work_mem=64MB"
            f" -c max_parallel_workers_per_gather={int(POSTGRES_PARALLEL_WORKERS)}"
        )
        if timeout is not None:
            options += f" -c statement_timeout={max(1, round(timeout * 1000))}"
        engine = sa.create_engine(url, pool_pre_ping=True, connect_args={"options": options})
    else:
        settings = clickhouse_options(url, reader=True, timeout_seconds=timeout)
        engine = prepare_engine(sa.create_engine(url, pool_pre_ping=True, **settings))
    return _with_timeout(engine, timeout)


IMPORT_WAIT_VARIABLE = "CAMPAIGN_IMPORT_WAIT_SECONDS"
DEFAULT_IMPORT_WAIT_SECONDS = 600.0
"""How long a writer waits for another to finish with a DuckDB file before it gives up."""


class DatabaseBusyError(RuntimeError):
    """Another process kept the DuckDB file locked for longer than the writer would wait."""


def import_wait_seconds() -> float:
    """`CAMPAIGN_IMPORT_WAIT_SECONDS`, else ten minutes (0: refuse at once)."""
    text = os.environ.get(IMPORT_WAIT_VARIABLE, "").strip()
    try:
        return max(0.0, float(text)) if text else DEFAULT_IMPORT_WAIT_SECONDS
    except ValueError:
        return DEFAULT_IMPORT_WAIT_SECONDS


def is_lock_conflict(error: BaseException) -> bool:
    """DuckDB's refusal to open a file another process has open for writing (or reading)."""
    text = str(getattr(error, "orig", None) or error)
    return "Could not set lock on file" in text or "Conflicting lock" in text


def _holder(error: BaseException) -> str:
    match = re.search(r"\(PID (\d+)\)", str(getattr(error, "orig", None) or error))
    return f"process {match.group(1)}" if match else "another process"


def wait_for_write_access(
    engine: sa.Engine, wait_seconds: float, on_wait: Callable[[str], None]
) -> None:
    """Take DuckDB's one-writer lock for this run, waiting while another process holds it.

    DuckDB lets one process write a file, and a second importer started at the same time
    would otherwise fail with a driver error. So it waits (saying so once through
    `on_wait`), polling twice a second, and raises `DatabaseBusyError` after
    `wait_seconds`. The connection stays in the engine's pool, so the lock is held until
    the engine is disposed. PostgreSQL needs none of this: it takes as many writers as come.
    """
    if duckdb_file(str(engine.url)) is None:
        return
    deadline = time.monotonic() + wait_seconds
    waiting = False
    while True:
        try:
            with engine.connect():
                return
        except Exception as error:
            if not is_lock_conflict(error):
                raise
            holder = _holder(error)
            if time.monotonic() >= deadline:
                raise DatabaseBusyError(
                    f"{holder} (another import, or the demo generator) is writing to "
                    f"{duckdb_file(str(engine.url))} and did not finish within "
                    f"{wait_seconds:g} s; nothing was imported: run the import again when it "
                    "has finished"
                ) from error
            if not waiting:
                on_wait(
                    f"{duckdb_file(str(engine.url))} is in use by {holder} (DuckDB allows one "
                    f"writer): waiting up to {wait_seconds:g} s for it to finish..."
                )
                waiting = True
            time.sleep(0.5)
