"""The only SQL that differs by intent between backends: UTC instants to local buckets.

Every figure of the glossary that is bucketed (days, weeks, months, hours, weekdays) is
bucketed on the wall clock of the scope's zone, not on shifted UTC buckets, so a local day
may last 23 or 25 hours and Asia/Kolkata days start at 18:30 UTC. `timezone(zone, ts)`
turns a `timestamptz` into local wall time on DuckDB and on PostgreSQL alike; the
truncations below run on that local wall time.

The zone is always a bound parameter. Callers put these expressions in a subquery column
and group by that column: PostgreSQL would otherwise see two different parameters in
SELECT and GROUP BY and refuse the query.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

Granularity = Literal["day", "week", "month"]

_TRUNCATION_UNITS: dict[str, str] = {"week": "week", "month": "month"}
"""Whitelisted date_trunc units: both backends start a `week` on Monday (ISO)."""


def local_time(instant: sa.ColumnElement, tz: str) -> sa.ColumnElement:
    """The wall-clock time (a zone-less timestamp) of a UTC instant in zone `tz`."""
    return sa.func.timezone(sa.literal(tz, sa.Text), instant)


def local_date(instant: sa.ColumnElement, tz: str) -> sa.ColumnElement:
    """The local calendar date of a UTC instant in zone `tz`."""
    return sa.cast(local_time(instant, tz), sa.Date)


def local_hour(instant: sa.ColumnElement, tz: str) -> sa.ColumnElement:
    """The local hour (0-23) of a UTC instant in zone `tz`; half-hour zones included."""
    return sa.cast(sa.extract("hour", local_time(instant, tz)), sa.Integer)


def local_bucket(instant: sa.ColumnElement, tz: str, granularity: Granularity) -> sa.ColumnElement:
    """The first local date of the day, week (Monday) or month holding a UTC instant."""
    if granularity == "day":
        return local_date(instant, tz)
    unit = _TRUNCATION_UNITS[granularity]
    return sa.cast(
        sa.func.date_trunc(sa.literal_column(f"'{unit}'"), local_time(instant, tz)), sa.Date
    )
