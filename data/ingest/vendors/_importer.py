"""Import vendor export files: stream, map, load in batches, account for every record.

Each file is one transaction: its records are read and written in batches of
`batch_records`, and a file that turns out unreadable half-way (a truncated gzip) rolls
back whole: nothing of it is loaded. Memory stays bounded whatever the export's size: a
batch's rows are dropped once loaded, and DuckDB spills what the open transaction holds
beyond `DUCKDB_VENDOR_IMPORT_MEMORY` to disk. The benchmark (4 files) peaks at 525, 669
and 848 MB for 0.5M, 1M and 2M records; it levels off once a file's transaction reaches
that limit, where before it went from 571 MB (200k) to 736 MB (1M) and kept growing.
Per file, `read = loaded + already present + skipped + rejected`, and the `entered` rows
derived at its end are counted apart. ClickHouse has no transactions: there a file is
checked whole before it loads, and what files derive is written when the import ends
(`data.ingest.vendors._clickhouse`).
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from tqdm import tqdm

from data.ingest.bulk import refresh_statistics
from data.ingest.read import FileError
from data.ingest.vendors import braze, clevertap, pinpoint
from data.ingest.vendors._batch import Batch, frame_of, load_table
from data.ingest.vendors._catalog import Catalog, Goal, write_catalog
from data.ingest.vendors._clickhouse import ClickHouseDerivations
from data.ingest.vendors._derived import Derivations
from data.ingest.vendors._records import BadRecord, ExportFile, find_files, verify_whole
from data.ingest.vendors._rows import Mapped, Reject, Skip, record_json
from data.messages import first_line

Mapper = Callable[[dict[str, Any], str], Mapped]
MAPPERS: dict[str, Mapper] = {
    pinpoint.NAME: pinpoint.map_record,
    braze.NAME: braze.map_record,
    clevertap.NAME: clevertap.map_record,
}
VENDORS: tuple[str, ...] = tuple(MAPPERS)
REJECT_COLUMNS = ("file", "line", "outcome", "reason", "record")
TABLES = ("message_events", "sessions", "conversions")
_TOUCHED = ["campaigns", "variants", "actions", "users", *TABLES]
DUCKDB_VENDOR_IMPORT_MEMORY = os.environ.get("CAMPAIGN_DUCKDB_VENDOR_IMPORT_MEMORY_LIMIT", "512MB")
"""DuckDB's memory for a vendor import, in place of the 4GB writer limit.

A file is one transaction, and DuckDB keeps its uncommitted rows and the staged `entered`
candidates in memory up to the limit, then spills them to `<database>.tmp`. Under 4GB a
single 500,000-record file took the process to 1,054 MB of RSS and a 2-million-record
one past 1.3 GB; with 512MB the 2-million-record file peaks at 884 MB. The event tables
have no primary-key index on DuckDB (`data.schema._key_off_duckdb`): that index could not
spill and grew with the table, and took a 10-million-record export out of this limit at
its third file."""


@dataclass(frozen=True)
class VendorOptions:
    """How to read one vendor's export, and the goal of the campaigns it creates."""

    vendor: str
    source_tz: str = "UTC"
    goal: Goal = Goal()
    batch_records: int = 50_000
    """Records mapped, framed and loaded at a time. The batch's Python rows, frames and
    Arrow copies are the importer's memory outside DuckDB: 100,000 took the process to
    about 510 MB before DuckDB held anything, 50,000 to about 460 MB."""


@dataclass
class VendorFileResult:
    """One file's accounting, or why nothing of it could be imported."""

    path: Path
    read: int = 0
    loaded: int = 0
    already_present: int = 0
    skipped: int = 0
    rejected: int = 0
    derived: int = 0
    error: str | None = None
    rejects: IO[str] | None = field(default=None, repr=False)
    """The file's skipped and rejected records as CSV rows (no header), spooled to disk."""

    def summary(self) -> str:
        """The line the command prints for this file."""
        if self.error is not None:
            return f"{self.path}: not imported: {self.error}"
        return (
            f"{self.path}: read {self.read}, loaded {self.loaded}, "
            f"already present {self.already_present}, skipped {self.skipped}, "
            f"rejected {self.rejected}, derived {self.derived}"
        )


@dataclass
class _Run:
    """What earlier files of this import established, for the campaigns it creates."""

    catalog: Catalog = field(default_factory=Catalog)
    created: set[str] = field(default_factory=set)
    staged: ClickHouseDerivations | None = None
    """On ClickHouse, the derivations of the whole import (`data.ingest.vendors._clickhouse`)."""


def import_vendor_paths(
    engine: sa.Engine,
    paths: Sequence[Path],
    options: VendorOptions,
    progress: bool | None = None,
) -> tuple[list[VendorFileResult], list[Path]]:
    """Import every export file under `paths`; returns the results and the files passed over.

    `progress` draws a bar on stderr; by default only when stderr is a terminal.
    """
    files, ignored = find_files(paths)
    total = sum(path.stat().st_size for path in files if path.is_file())
    show = sys.stderr.isatty() if progress is None else progress
    if engine.dialect.name == "clickhouse":
        return _import_on_clickhouse(engine, files, options, show, total), ignored
    run = _Run()
    with _bar(total, show) as bar:
        results = [_import_file(engine, path, options, run, bar) for path in files]
    return results, ignored


def _bar(total: int, show: bool) -> tqdm:
    return tqdm(
        total=total, unit="B", unit_scale=True, disable=not show, file=sys.stderr, leave=False
    )


def _import_on_clickhouse(
    engine: sa.Engine, files: list[Path], options: VendorOptions, show: bool, total: int
) -> list[VendorFileResult]:
    """Files one after the other, then what they derive and the catalog, once.

    ClickHouse has no transactions and no UPDATE through a Distributed table, so a file's
    end could not correct what an earlier file wrote: the import's end writes the
    `entered` rows, users, campaigns, variants and actions from every file at once.
    """
    with engine.connect() as connection:
        staged = ClickHouseDerivations(connection)
        run = _Run(staged=staged)
        try:
            with _bar(total, show) as bar:
                results = []
                for index, path in enumerate(files):
                    staged.start_file(index)
                    results.append(_import_file(engine, path, options, run, bar))
            derived = staged.finish()
        finally:
            staged.close()
        for index, result in enumerate(results):
            if result.error is None:
                result.derived = derived.get(index, 0)
        write_catalog(connection, run.catalog, Catalog(), set(), options.goal)
    return results


def _import_file(
    engine: sa.Engine, path: Path, options: VendorOptions, run: _Run, bar: tqdm
) -> VendorFileResult:
    result = VendorFileResult(path=path)
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+", newline="")  # noqa: SIM115
    writer = csv.writer(spool)
    mapper = MAPPERS[options.vendor]
    catalog = Catalog()
    consumed = 0
    clickhouse = run.staged is not None
    try:
        if clickhouse:
            verify_whole(path)
        with ExportFile(path) as export, engine.begin() as connection:
            derivations = run.staged or Derivations(connection)
            batch = Batch()
            for line, record in export.records():
                result.read += 1
                mapped = (
                    Reject(record.reason)
                    if isinstance(record, BadRecord)
                    else mapper(record, options.source_tz)
                )
                if isinstance(mapped, Skip | Reject):
                    outcome = "skipped" if isinstance(mapped, Skip) else "rejected"
                    if outcome == "skipped":
                        result.skipped += 1
                    else:
                        result.rejected += 1
                    shown = "" if isinstance(record, BadRecord) or outcome == "skipped" else record
                    writer.writerow(
                        [path, line, outcome, mapped.reason, shown and record_json(shown)]
                    )
                    continue
                batch.add(mapped, line)
                if batch.size >= options.batch_records:
                    _flush(connection, batch, result, writer, derivations, catalog, path)
                    batch = Batch()
                    consumed = _advance(bar, export.position(), consumed, result.read)
            _flush(connection, batch, result, writer, derivations, catalog, path)
            created: set[str] = set()
            if not isinstance(derivations, ClickHouseDerivations):
                result.derived = derivations.finish()
                created = write_catalog(connection, catalog, run.catalog, run.created, options.goal)
            refresh_statistics(connection, _TOUCHED)
            _advance(bar, export.size, consumed, result.read)
    except FileError as error:
        spool.close()
        bar.update(max(0, path.stat().st_size - consumed) if path.is_file() else 0)
        return VendorFileResult(path=path, error=str(error))
    except sa.exc.SQLAlchemyError as error:
        spool.close()
        message = first_line(error)
        if "Out of Memory" in message:
            message += (
                " (a file this big needs more than CAMPAIGN_DUCKDB_VENDOR_IMPORT_MEMORY_LIMIT="
                f"{DUCKDB_VENDOR_IMPORT_MEMORY}: raise it, or split the file)"
            )
        if not clickhouse:
            return VendorFileResult(
                path=path, error=f"the database refused the rows, nothing was loaded: {message}"
            )
        # No rollback there: what was inserted stays, and its campaigns must exist.
        run.catalog = run.catalog.merged(catalog)
        return VendorFileResult(
            path=path,
            error="the database refused the rows; some of them may be stored (ClickHouse has "
            f"no transactions): run the import again to complete it: {message}",
        )
    run.catalog = run.catalog.merged(catalog)
    run.created |= created
    spool.seek(0)
    result.rejects = spool
    return result


def _flush(
    connection: sa.Connection,
    batch: Batch,
    result: VendorFileResult,
    writer: Any,
    derivations: Derivations | ClickHouseDerivations,
    catalog: Catalog,
    path: Path,
) -> None:
    """Load a batch's rows, and stage what the end of the file derives from them."""
    frames = {table: frame_of(table, batch.rows[table]) for table in TABLES}
    for table in TABLES:
        outcome = load_table(connection, table, frames[table], batch.lines[table])
        result.loaded += outcome.loaded
        result.already_present += outcome.already_present
        result.rejected += len(outcome.conflict_lines)
        for line in outcome.conflict_lines:
            reason = f"the key is already in {table} with different values"
            writer.writerow([path, line, "rejected", reason, ""])
    catalog.add_events(frames["message_events"])
    derivations.add(frames["message_events"], frames["sessions"], frames["conversions"])


def _advance(bar: tqdm, position: int, consumed: int, records: int) -> int:
    bar.update(max(0, position - consumed))
    bar.set_postfix(records=records, refresh=False)
    return max(position, consumed)


def write_vendor_rejects(results: list[VendorFileResult], destination: Path) -> int:
    """Write every file's skipped and rejected records to one CSV; returns how many."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with destination.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow(REJECT_COLUMNS)
        for result in results:
            if result.rejects is None:
                continue
            for row in csv.reader(result.rejects):
                csv.writer(handle).writerow(row)
                written += 1
            result.rejects.close()
            result.rejects = None
    return written
