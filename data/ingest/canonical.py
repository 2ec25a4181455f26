"""Import canonical CSV, Parquet and JSON Lines files into the event tables.

    python -m data.ingest PATH... [--db URL] [--rejects FILE] [--ignore-unknown-columns]
    python -m data.ingest PATH... --format pinpoint|braze|clevertap [--db URL] [--rejects FILE]
        [--conversion-event NAME] [--window-hours H] [--source-tz ZONE]

A vendor's export (`--format`) is read by `data.ingest.vendors`; the rest of this module is the
canonical format.

Each file fills the table named by its stem (`message_events.csv`, `users.parquet`, ...)
and follows the "Bad input" rules of ../shared/event-schema.md: every good row is loaded,
every bad row is rejected with its line and reason, and a row already stored counts as
already present, so importing the same export twice is harmless. Per file the importer
prints `read = loaded + already present + rejected`. A file is loaded in one transaction.

Exit code: 0 when every row was loaded or already present, 1 when some rows were
rejected, 2 when a file could not be imported at all (nothing from it is loaded).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from data.contracts import ImportConfig
from data.database import (
    create_writer_engine,
    duckdb_file,
    resolve_database_url,
)
from data.ingest.bulk import refresh_statistics
from data.ingest.load import load_rows
from data.ingest.read import FileError, SourceFile, read_source
from data.ingest.validate import LINE, REASON, validate
from data.ingest.vendors.cli import (
    CANONICAL,
    add_vendor_arguments,
    refuse_vendor_options,
    vendor_main,
)
from data.ingest.writing import with_writable_database
from data.messages import first_line

EXIT_OK, EXIT_REJECTS, EXIT_FILE_ERROR = 0, 1, 2
REJECTS_FILE_NAME = "rejects.csv"
REJECT_COLUMNS = ("file", "line", "reason", "row")


def _empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(REJECT_COLUMNS, pl.String) | {"line": pl.Int64})


@dataclass(frozen=True)
class FileResult:
    """The outcome of one file: the four counts, or why nothing could be imported."""

    path: Path
    table: str | None = None
    read: int = 0
    loaded: int = 0
    already_present: int = 0
    rejected: int = 0
    error: str | None = None
    ignored_columns: tuple[str, ...] = ()
    rejects: pl.DataFrame = field(default_factory=_empty_rejects)
    """One row per rejected row: file, line, reason and the row's cells as JSON."""

    def summary(self) -> str:
        """The line the command prints for this file."""
        if self.error is not None:
            return f"{self.path}: not imported: {self.error}"
        text = (
            f"{self.path} -> {self.table}: read {self.read}, loaded {self.loaded}, "
            f"already present {self.already_present}, rejected {self.rejected}"
        )
        if self.ignored_columns:
            text += f" (ignored columns: {', '.join(self.ignored_columns)})"
        return text


def import_files(
    engine: sa.Engine, paths: list[Path], ignore_unknown_columns: bool = False
) -> list[FileResult]:
    """Import each file in its own transaction; one bad file does not stop the others."""
    return [import_file(engine, Path(path), ignore_unknown_columns) for path in paths]


def import_file(engine: sa.Engine, path: Path, ignore_unknown_columns: bool = False) -> FileResult:
    """Read, check and load one file; its rows are all committed or none are."""
    try:
        source = read_source(path, ignore_unknown_columns)
    except FileError as error:
        return FileResult(path=path, error=str(error))
    checked = validate(source.cells, source.contract)
    try:
        with engine.begin() as connection:
            outcome = load_rows(connection, source.contract.name, checked.rows)
            refresh_statistics(connection, [source.contract.name])
    except sa.exc.SQLAlchemyError as error:
        return FileResult(
            path=path,
            table=source.contract.name,
            error=f"the database refused the rows, nothing was loaded: {first_line(error)}",
        )
    conflicts = pl.DataFrame(
        {LINE: list(outcome.conflict_lines)}, schema={LINE: pl.Int64}
    ).with_columns(
        pl.lit(
            f"the key is already in {source.contract.name} with different values", pl.String
        ).alias(REASON)
    )
    rejects = _with_cells(path, source, pl.concat([checked.rejects, conflicts]).sort(LINE))
    return FileResult(
        path=path,
        table=source.contract.name,
        read=source.cells.height,
        loaded=outcome.loaded,
        already_present=outcome.already_present + checked.repeated,
        rejected=rejects.height,
        ignored_columns=source.ignored_columns,
        rejects=rejects,
    )


def _with_cells(path: Path, source: SourceFile, rejects: pl.DataFrame) -> pl.DataFrame:
    """Add the file name and the rejected row's own cells, so it can be fixed and re-sent."""
    if rejects.height == 0:
        return _empty_rejects()
    columns = [name for name in source.cells.columns if name != LINE]
    cells = source.cells.join(rejects.select(LINE), on=LINE, how="semi").select(
        pl.col(LINE), pl.struct(columns).struct.json_encode().alias("row")
    )
    return rejects.join(cells, on=LINE, how="left").select(
        pl.lit(str(path)).alias("file"),
        pl.col(LINE).alias("line"),
        pl.col(REASON).alias("reason"),
        pl.col("row"),
    )


def write_rejects(results: list[FileResult], destination: Path) -> int:
    """Write every rejected row of `results` to one CSV; returns how many were written."""
    frames = [result.rejects for result in results if result.rejects.height]
    rejects = pl.concat(frames) if frames else _empty_rejects()
    destination.parent.mkdir(parents=True, exist_ok=True)
    rejects.write_csv(destination)
    return rejects.height


def default_rejects_path(database_url: str) -> Path:
    """Next to the DuckDB file, or in the working directory for a server database."""
    database_file = duckdb_file(database_url)
    directory = database_file.parent if database_file is not None else Path.cwd()
    return directory / REJECTS_FILE_NAME


def exit_code(results: list[FileResult]) -> int:
    if any(result.error is not None for result in results):
        return EXIT_FILE_ERROR
    if any(result.rejected for result in results):
        return EXIT_REJECTS
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data.ingest",
        description="Import canonical CSV, Parquet or JSON Lines files; the file name "
        "(message_events.csv, users.parquet, ...) names the table.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument("--db", help="database URL (default: CAMPAIGN_DB_URL, secrets, DuckDB)")
    parser.add_argument(
        "--rejects",
        type=Path,
        help="CSV for the rejected rows (default: rejects.csv next to the database)",
    )
    parser.add_argument(
        "--ignore-unknown-columns",
        action="store_true",
        help="skip columns the table does not have instead of refusing the file",
    )
    add_vendor_arguments(parser)
    return parser


def _config(arguments: argparse.Namespace) -> ImportConfig:
    return ImportConfig(
        paths=tuple(arguments.paths),
        database_url=arguments.db,
        rejects_path=arguments.rejects,
        ignore_unknown_columns=arguments.ignore_unknown_columns,
    )


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if arguments.format != CANONICAL:
        return vendor_main(parser, arguments)
    refuse_vendor_options(parser, arguments)
    config = _config(arguments)
    url = resolve_database_url(config.database_url)
    results = with_writable_database(
        create_writer_engine(url),
        url,
        lambda engine: import_files(engine, list(config.paths), config.ignore_unknown_columns),
    )
    if results is None:
        return EXIT_FILE_ERROR
    for result in results:
        print(result.summary(), file=sys.stderr if result.error else sys.stdout)
    rejected = sum(result.rejected for result in results)
    if rejected or config.rejects_path is not None:
        destination = config.rejects_path or default_rejects_path(url)
        write_rejects(results, destination)
        print(f"{rejected} rejected row(s) written to {destination}")
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
