"""Helpers for the vendor import tests: write an export, import it, read the tables back."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from data.contracts import CONTRACTS
from data.ingest.vendors import Goal, VendorFileResult, VendorOptions, import_vendor_paths
from data.schema import TABLES

UTC = dt.UTC


def ms(moment: dt.datetime) -> int:
    """Epoch milliseconds (Pinpoint's unit)."""
    return int(moment.timestamp() * 1000)


def write_export(path: Path, records: list[Any], compress: bool = False) -> Path:
    """One JSON value per line, gzipped when asked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(record) + "\n" for record in records).encode()
    path.write_bytes(gzip.compress(text) if compress else text)
    return path


def import_export(
    engine: sa.Engine,
    paths: list[Path],
    vendor: str,
    conversion_event: str | None = None,
    source_tz: str = "UTC",
    batch_records: int = 100_000,
) -> list[VendorFileResult]:
    options = VendorOptions(
        vendor=vendor,
        source_tz=source_tz,
        goal=Goal(conversion_event=conversion_event),
        batch_records=batch_records,
    )
    results, _ = import_vendor_paths(engine, paths, options, progress=False)
    for result in results:
        if result.error is None:
            counted = result.loaded + result.already_present + result.skipped + result.rejected
            assert result.read == counted, result.summary()
    return results


def counts(result: VendorFileResult) -> tuple[int, int, int, int, int, int]:
    """(read, loaded, already present, skipped, rejected, derived)."""
    return (
        result.read,
        result.loaded,
        result.already_present,
        result.skipped,
        result.rejected,
        result.derived,
    )


def rows(engine: sa.Engine, table_name: str) -> list[dict[str, Any]]:
    """Every row of a table in key order, timestamps as aware UTC datetimes."""
    table = TABLES[table_name]
    key = [table.c[name] for name in CONTRACTS[table_name].key]
    with engine.connect() as connection:
        found = connection.execute(sa.select(table).order_by(*key)).mappings().all()
    return [
        {
            name: value.replace(tzinfo=UTC)
            if isinstance(value, dt.datetime) and value.tzinfo is None
            else value
            for name, value in row.items()
        }
        for row in found
    ]
