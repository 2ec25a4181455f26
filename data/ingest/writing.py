"""Opening the database for an import: wait for another writer, create missing tables,
and turn a database that cannot be written into one line and no traceback.

The canonical importer and the vendor importer both write this way; it lives here so the
two cannot drift in what they wait for or what they print.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from data.database import DatabaseBusyError, import_wait_seconds, wait_for_write_access
from data.messages import first_line, shown_url
from data.schema import create_schema

R = TypeVar("R")


def say(message: str) -> None:
    """A progress or waiting message: on stderr, at once, so stdout stays the result."""
    print(message, file=sys.stderr, flush=True)


def with_writable_database(engine: sa.Engine, url: str, work: Callable[[sa.Engine], R]) -> R | None:
    """Run `work` on `engine` once it may write, with every missing table created.

    Waits for another importer holding a DuckDB file (up to `CAMPAIGN_IMPORT_WAIT_SECONDS`).
    Returns None after printing why when the database stays busy or cannot be opened (the
    URL shown without its password); the engine is disposed either way.
    """
    try:
        wait_for_write_access(engine, import_wait_seconds(), say)
        create_schema(engine)
        return work(engine)
    except DatabaseBusyError as error:
        print(f"not imported: {error}", file=sys.stderr)
        return None
    except sa.exc.SQLAlchemyError as error:
        print(
            f"cannot open the database {shown_url(url)}: {first_line(error, url)}",
            file=sys.stderr,
        )
        return None
    finally:
        engine.dispose()
