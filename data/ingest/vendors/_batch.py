"""A batch of mapped rows, turned into typed frames and loaded through the canonical path.

Rows are loaded with `data.ingest.load.load_rows`, the canonical importer's loader: a key
already stored with the same values is already present, with other values a conflict
(rejected). Inside a batch the first row of a key stands for the stored one, so where a
batch ends makes no difference to the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa

from data.ingest.load import load_rows
from data.ingest.validate import LINE
from data.ingest.vendors._rows import Conversion, MessageEvent, Row, Session
from data.schema import TABLES, frame_schema

UTC_MICROSECONDS = pl.Datetime("us", "UTC")
EVENT_EXTRAS: dict[str, pl.DataType] = {
    "channel": pl.String(),
    "campaign_name": pl.String(),
    "variant_name": pl.String(),
    "action_name": pl.String(),
    "control": pl.Boolean(),
    "derive_entry": pl.Boolean(),
}
"""Catalog facts carried beside a message event's columns; dropped before loading."""
USER_EXTRAS: dict[str, pl.DataType] = {"platform": pl.String(), "device_model": pl.String()}
"""What a session or conversion says about its user's device; dropped before loading."""

_TIME_COLUMNS = {"occurred_at", "started_at"}


@dataclass
class Batch:
    """The rows of a run of records, by table, each with its line in the file."""

    rows: dict[str, list[Row]] = field(
        default_factory=lambda: {"message_events": [], "sessions": [], "conversions": []}
    )
    lines: dict[str, list[int]] = field(
        default_factory=lambda: {"message_events": [], "sessions": [], "conversions": []}
    )

    size: int = 0

    def add(self, row: Row, line: int) -> None:
        table = _table_of(row)
        self.rows[table].append(row)
        self.lines[table].append(line)
        self.size += 1


@dataclass(frozen=True)
class TableOutcome:
    """What one table's rows of a batch became; `conflict_lines` are lines in the file."""

    loaded: int = 0
    already_present: int = 0
    conflict_lines: tuple[int, ...] = ()


def _table_of(row: Row) -> str:
    if isinstance(row, MessageEvent):
        return "message_events"
    if isinstance(row, Session):
        return "sessions"
    if isinstance(row, Conversion):
        return "conversions"
    raise TypeError(f"not a row: {row!r}")


def frame_of(table: str, rows: list[Row]) -> pl.DataFrame:
    """The rows as a frame with the table's columns and types, plus `LINE` (the row's index).

    Message events also carry `EVENT_EXTRAS`, sessions and conversions `USER_EXTRAS`.
    """
    extras = EVENT_EXTRAS if table == "message_events" else USER_EXTRAS
    schema = frame_schema(TABLES[table]) | extras
    columns: dict[str, pl.Series] = {}
    for name, dtype in schema.items():
        values = [getattr(row, name) for row in rows]
        if name in _TIME_COLUMNS:
            columns[name] = pl.Series(name, values, pl.Int64).cast(UTC_MICROSECONDS)
        else:
            columns[name] = pl.Series(name, values, dtype)
    columns[LINE] = pl.Series(LINE, range(len(rows)), pl.Int64)
    return pl.DataFrame(list(columns.values()))


def one_per_key(frame: pl.DataFrame, key: str) -> tuple[pl.DataFrame, int, list[int]]:
    """The first row of each key; how many later rows repeat it exactly; which differ.

    Returns the kept rows, the count of exact repeats (already present) and the `LINE`
    indexes of the rows whose key came earlier with other values (rejected).
    """
    first = frame.select(pl.col(key).is_first_distinct()).to_series()
    if first.all():
        return frame, 0, []
    kept = frame.filter(first)
    later = frame.filter(~first)
    compared = [name for name in frame.columns if name not in (key, LINE)]
    joined = later.join(kept.drop(LINE), on=key, suffix="_kept")
    differs = joined.select(
        pl.any_horizontal(pl.col(name).ne_missing(pl.col(f"{name}_kept")) for name in compared)
    ).to_series()
    conflicts = joined.filter(differs)[LINE].to_list()
    return kept, later.height - len(conflicts), conflicts


def load_table(
    connection: sa.Connection, table: str, frame: pl.DataFrame, lines: list[int]
) -> TableOutcome:
    """Load one table's rows of a batch (`frame_of`'s frame; `lines` by its `LINE` index)."""
    if frame.height == 0:
        return TableOutcome()
    target = TABLES[table]
    key = target.primary_key.columns.keys()[0]
    kept, repeated, conflicts = one_per_key(frame.select(*target.columns.keys(), LINE), key)
    outcome = load_rows(connection, table, kept)
    conflict_lines = sorted(lines[index] for index in [*conflicts, *outcome.conflict_lines])
    return TableOutcome(
        loaded=outcome.loaded,
        already_present=outcome.already_present + repeated,
        conflict_lines=tuple(conflict_lines),
    )
