"""The `--format pinpoint|braze|clevertap` side of `python -m data.ingest`.

Prints one line per file (`read N, loaded N, already present N, skipped N, rejected N,
derived N`), writes skipped and rejected records to the rejects file with their file,
line and reason, and exits 0 when nothing was rejected, 1 when some records were, 2 when
a file could not be read at all (nothing of it is loaded).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa

from data.database import (
    ExecutingConnection,
    create_writer_engine,
    duckdb_file,
    resolve_database_url,
)
from data.ingest.vendors._catalog import Goal
from data.ingest.vendors._importer import (
    DUCKDB_VENDOR_IMPORT_MEMORY,
    VENDORS,
    VendorFileResult,
    VendorOptions,
    import_vendor_paths,
    write_vendor_rejects,
)
from data.ingest.writing import with_writable_database
from data.scope import zone_named

CANONICAL = "canonical"
EXIT_OK, EXIT_REJECTS, EXIT_FILE_ERROR = 0, 1, 2
REJECTS_FILE_NAME = "rejects.csv"
_VENDOR_OPTIONS = ("conversion_event", "window_hours", "source_tz")


def add_vendor_arguments(parser: argparse.ArgumentParser) -> None:
    """The importer's `--format` and the options that only a vendor export takes."""
    parser.add_argument(
        "--format",
        choices=(CANONICAL, *VENDORS),
        default=CANONICAL,
        help="canonical tables (default), or a vendor's event export: PATH is then a file "
        "(.json, .jsonl, .ndjson, each maybe .gz) or a folder read recursively",
    )
    parser.add_argument(
        "--conversion-event",
        metavar="NAME",
        help="conversion goal of the campaigns this import creates (a conversions event name)",
    )
    parser.add_argument(
        "--window-hours",
        type=int,
        metavar="H",
        help="conversion window of the campaigns this import creates (default 72)",
    )
    parser.add_argument(
        "--source-tz",
        metavar="ZONE",
        help="time zone of the export's wall-clock times (CleverTap's ts; default UTC)",
    )


def refuse_vendor_options(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    """A vendor option on a canonical import would be silently ignored: refuse it."""
    given = [name for name in _VENDOR_OPTIONS if getattr(arguments, name) is not None]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        parser.error(f"{flags} only apply with --format {'|'.join(VENDORS)}")


def vendor_main(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> int:
    """Run a vendor import from parsed arguments; returns the exit code."""
    if arguments.ignore_unknown_columns:
        parser.error("--ignore-unknown-columns applies to the canonical format only")
    if arguments.window_hours is not None and arguments.window_hours < 0:
        parser.error("--window-hours must be 0 or more")
    source_tz = arguments.source_tz or "UTC"
    try:
        zone_named(source_tz)
    except ValueError as error:
        parser.error(str(error))
    options = VendorOptions(
        vendor=arguments.format,
        source_tz=source_tz,
        goal=Goal(arguments.conversion_event, arguments.window_hours),
    )
    url = resolve_database_url(arguments.db)
    done = with_writable_database(
        limit_duckdb_memory(create_writer_engine(url), DUCKDB_VENDOR_IMPORT_MEMORY),
        url,
        lambda engine: import_vendor_paths(engine, list(arguments.paths), options),
    )
    if done is None:
        return EXIT_FILE_ERROR
    results, ignored = done
    if ignored:
        print(f"{len(ignored)} file(s) in the folders are not exports and were passed over:")
        for path in ignored:
            print(f"  {path}")
    for result in results:
        print(result.summary(), file=sys.stderr if result.error else sys.stdout)
    if not results:
        print("no export files found under the given paths", file=sys.stderr)
        return EXIT_FILE_ERROR
    skipped = sum(result.skipped for result in results)
    rejected = sum(result.rejected for result in results)
    if skipped or rejected or arguments.rejects is not None:
        destination = arguments.rejects or default_rejects_path(url)
        write_vendor_rejects(results, destination)
        print(f"{skipped} skipped and {rejected} rejected record(s) written to {destination}")
    return exit_code(results)


def limit_duckdb_memory(engine: sa.Engine, memory_limit: str) -> sa.Engine:
    """Give DuckDB `memory_limit` on each new connection (after the writer's own settings).

    The writer's 4GB let a vendor import grow with the file: DuckDB only spills a
    transaction's rows to disk at its limit (see `DUCKDB_VENDOR_IMPORT_MEMORY`).
    """
    if engine.dialect.name != "duckdb":
        return engine
    statement = "SET memory_limit = '" + memory_limit.replace("'", "") + "'"

    @sa.event.listens_for(engine, "connect")
    def _limit(connection: ExecutingConnection, _record: object) -> None:
        connection.execute(statement)

    return engine


def exit_code(results: list[VendorFileResult]) -> int:
    if any(result.error is not None for result in results):
        return EXIT_FILE_ERROR
    if any(result.rejected for result in results):
        return EXIT_REJECTS
    return EXIT_OK


def default_rejects_path(database_url: str) -> Path:
    """Next to the DuckDB file, or in the working directory for a server database."""
    database_file = duckdb_file(database_url)
    directory = database_file.parent if database_file is not None else Path.cwd()
    return directory / REJECTS_FILE_NAME
