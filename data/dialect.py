"""The only SQL that differs between backends: an instant as seconds since the epoch.

Every bucketed figure of the glossary (days, weeks, months, hours, weekdays) is bucketed on
the wall clock of the scope's zone. `data.local_time` does that by arithmetic on the
epoch seconds of an instant plus the zone's offset, with the offsets' transitions taken
from Python's zoneinfo, so the one piece of SQL that depends on the backend is how an
instant becomes epoch seconds. The zone itself never reaches SQL.

ClickHouse (`clickhouse+http://` URLs) spells more of the queries' SQL differently; its
engines compile with `data.clickhouse_sql` (installed by `prepare_engine`), so the
queries themselves stay backend-neutral SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles


class _EpochSeconds(sa.sql.functions.GenericFunction[float]):
    """Seconds since the epoch of an instant, spelled per backend (see `epoch_seconds`)."""

    type = sa.Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(_EpochSeconds)
def _extract_epoch(element: _EpochSeconds, compiler: Any, **kw: Any) -> str:
    (instant,) = element.clauses.clauses
    return str(compiler.process(sa.extract("epoch", instant), **kw))


@compiles(_EpochSeconds, "postgresql")
def _date_part_epoch(element: _EpochSeconds, compiler: Any, **kw: Any) -> str:
    (instant,) = element.clauses.clauses
    return str(compiler.process(sa.func.date_part(sa.literal_column("'epoch'"), instant), **kw))


def epoch_seconds(instant: sa.ColumnElement[dt.datetime]) -> sa.ColumnElement[float]:
    """Seconds (with fraction) since 1970-01-01 00:00 UTC of a `timestamptz` column.

    `EXTRACT(epoch FROM ts)` on DuckDB (a DOUBLE); `date_part('epoch', ts)` on PostgreSQL,
    where EXTRACT returns `numeric` since release 14 and every bucket's arithmetic on it
    then runs in software decimals: on the 1M demo the report's four bucketed statements
    spent most of their time there. A double holds a microsecond timestamp of this
    century to within 0.2 µs, so floor((seconds + offset) / 86400) still falls on the
    right side of every day, hour and week boundary. `toUnixTimestamp(ts)` on ClickHouse,
    whose `DateTime` columns hold whole seconds.
    """
    return _EpochSeconds(instant)


def _clickhouse_value(value: object) -> object:
    """A parameter as ClickHouse 18.16 accepts it through clickhouse-sqlalchemy's HTTP driver.

    The driver renders parameters client-side: `True` would reach SQL as the unknown
    identifier `True` (ClickHouse stores booleans as UInt8), and an aware datetime as its
    wall-clock text without the offset, so it is turned into UTC first (the columns are
    `DateTime('UTC')`).
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _clickhouse_parameters(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {name: _clickhouse_value(value) for name, value in parameters.items()}
    if isinstance(parameters, list | tuple):
        return type(parameters)(_clickhouse_parameters(item) for item in parameters)
    return parameters


def _utc_datetime(text: str) -> dt.datetime | None:
    """A `DateTime('UTC')` value from ClickHouse's text output, as an aware UTC instant."""
    from clickhouse_sqlalchemy.drivers.http.transport import datetime_converter

    value = datetime_converter(text)
    return None if value is None else value.replace(tzinfo=dt.UTC)


def _read_utc_datetimes() -> None:
    """Teach clickhouse-sqlalchemy's HTTP driver to read `DateTime('UTC')` columns.

    Its converters are keyed by exact type name, and `DateTime('UTC')` (our columns' type,
    so that text in and out is UTC whatever the server's zone) is not among them: values
    came back as strings. Aware UTC datetimes are what DuckDB and PostgreSQL return.
    """
    from clickhouse_sqlalchemy.drivers.http import transport

    transport.converters["DateTime('UTC')"] = _utc_datetime


def clickhouse_options(
    url: str, reader: bool, timeout_seconds: float | None = None
) -> dict[str, Any]:
    """`create_engine` keyword arguments for a ClickHouse URL (none for other backends).

    A reader is read-only (`readonly=2`) and stops a statement after the query timeout
    (`max_execution_time`), as on PostgreSQL; see `data.clickhouse_sql.SETTINGS` for the rest.
    """
    if sa.make_url(url).get_backend_name() != "clickhouse":
        return {}
    from data.clickhouse_sql import connect_args

    return {"connect_args": connect_args(reader, timeout_seconds)}


def prepare_engine(engine: sa.Engine) -> sa.Engine:
    """Make `engine` pass booleans and aware datetimes as its backend reads them.

    Nothing to do on DuckDB and PostgreSQL; on ClickHouse, every statement's parameters go
    through `_clickhouse_value`. Every engine of the app comes from `data.database`, which
    calls this.
    """
    if engine.dialect.name != "clickhouse":
        return engine
    from data import clickhouse_sql

    clickhouse_sql.install(engine.dialect)
    driver_errors_as_sqlalchemy(engine)
    _read_utc_datetimes()

    @sa.event.listens_for(engine, "before_cursor_execute", retval=True)
    def _convert(
        _conn: sa.Connection,
        _cursor: object,
        statement: str,
        parameters: Any,
        _context: object,
        _executemany: bool,
    ) -> tuple[str, Any]:
        return statement, _clickhouse_parameters(parameters)

    return engine


def driver_errors_as_sqlalchemy(engine: sa.Engine) -> sa.Engine:
    """Make a ClickHouse engine fail as DuckDB's and PostgreSQL's do: with SQLAlchemy errors.

    clickhouse-sqlalchemy's HTTP driver raises its own `DatabaseException` (the server
    answered with an error, a shard down included) and lets `requests`' errors through
    (nothing answers at all), neither of which SQLAlchemy wraps. Every command and the
    app's banner already say "the database could not be reached" for a SQLAlchemy error;
    translating here, once per engine, keeps them from each learning the driver's types.
    A failure to connect becomes `OperationalError` whose reason is the socket's own
    ("[Errno 111] Connection refused"), not a line of urllib3's retry bookkeeping.
    """

    @sa.event.listens_for(engine, "handle_error")
    def _translate(context: sa.engine.ExceptionContext) -> BaseException | None:
        return clickhouse_error(context.original_exception, context.statement, context.parameters)

    return engine


def clickhouse_error(
    error: BaseException, statement: str | None = None, parameters: Any = None
) -> sa.exc.DBAPIError | None:
    """The SQLAlchemy error a ClickHouse driver failure stands for; None for anything else.

    >>> from requests.exceptions import ConnectionError
    >>> refused = ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    >>> str(clickhouse_error(refused).orig)
    '[Errno 111] Connection refused'
    """
    from clickhouse_sqlalchemy.exceptions import DatabaseException
    from requests.exceptions import RequestException

    if isinstance(error, DatabaseException):
        return sa.exc.OperationalError(statement, parameters, error)
    if isinstance(error, RequestException):
        return sa.exc.OperationalError(statement, parameters, _root_cause(error))
    return None


def _root_cause(error: BaseException) -> BaseException:
    """The innermost error under a `requests` one: through the exception's cause, urllib3's
    `reason` and the wrapped first argument, as deep as they go (never in circles)."""
    seen = {id(error)}
    while True:
        reason = getattr(error, "reason", None)
        first = error.args[0] if error.args else None
        inner = next(
            (
                each
                for each in (error.__cause__, reason, first)
                if isinstance(each, BaseException) and id(each) not in seen
            ),
            None,
        )
        if inner is None:
            return error
        seen.add(id(inner))
        error = inner
