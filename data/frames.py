"""Turn a SQLAlchemy Core query into a Polars frame: the one door from SQL rows to frames.

DuckDB hands its result over as Arrow (no per-row Python objects); other drivers return
rows, which is fine because every query the app runs is a reduction whose result is
bounded by buckets x dimensions, not by events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

from data.database import (
    QueryTimeoutError,
    duckdb_driver,
    interrupt_after,
    query_timeout_seconds,
    timeout_message,
)


def fetch_frame(
    connection: sa.Connection,
    statement: sa.Executable,
    schema: Mapping[str, pl.DataType | type[pl.DataType]] | None = None,
) -> pl.DataFrame:
    """Run `statement` (bound parameters only) and return its result as a frame.

    `schema` fixes column types so that an empty result still has the right columns,
    and so that both backends give identical dtypes (DuckDB and psycopg disagree on e.g.
    `count(*)`: BIGINT vs numeric-free int).
    """
    if connection.dialect.name == "duckdb":
        frame = _fetch_duckdb_arrow(connection, statement)
    else:
        result = connection.execute(statement)
        columns = list(result.keys())
        rows = result.fetchall()
        frame = pl.DataFrame(
            [tuple(row) for row in rows], schema=columns, orient="row", infer_schema_length=None
        )
    if schema:
        frame = frame.with_columns(
            [pl.col(name).cast(dtype) for name, dtype in schema.items() if name in frame.columns]
        )
    return frame


def _fetch_duckdb_arrow(connection: sa.Connection, statement: sa.Executable) -> pl.DataFrame:
    compiled = (
        statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        if isinstance(statement, sa.ClauseElement)
        else None
    )
    if not isinstance(compiled, SQLCompiler):  # a query, not DDL (every caller's is one)
        raise TypeError(f"not a query to fetch as a frame: {statement!r}")
    parameters: dict[str, Any] = dict(compiled.params)
    positional = [parameters[name] for name in compiled.positiontup or []]
    raw = duckdb_driver(connection)
    # SQLAlchemy may have left a partly read result on this connection (`scalar()` reads one
    # row), and DuckDB 2.0 runs nothing else there until it is finished: `complete` runs it
    # to its end unread. The same connection, not a cursor of its own, so that a read
    # inside a transaction sees what that transaction wrote.
    raw.complete()
    # This bypasses SQLAlchemy's execute, so its statement timeout (an interrupt armed by
    # an engine event, see data.database) is armed here too.
    seconds = query_timeout_seconds()
    timer = interrupt_after(seconds, raw.interrupt) if seconds else None
    try:
        # Polars reads DuckDB's Arrow stream itself (the PyCapsule interface). A DB-API
        # result's `to_arrow_table` went through pyarrow, which the report command then
        # imported with numpy for nothing but this (0.1 s), and through an extra copy that
        # DuckDB makes by a statement over the result: 2.82 -> 2.51 s for the 10M report
        # (medians of ten alternating runs). DuckDB's binding reports 27 "leaked"
        # instances when an interpreter that read such a stream shuts down: a message at
        # exit, no leak during the run (the count does not grow with the statements).
        frame = pl.DataFrame(raw.sql(str(compiled), params=positional))
    except Exception as error:
        if type(error).__name__ == "InterruptException" and seconds:
            raise QueryTimeoutError(timeout_message(seconds)) from error
        raise
    finally:
        if timer is not None:
            timer.cancel()
    return frame
