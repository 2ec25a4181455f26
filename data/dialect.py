"""The only SQL that differs between backends: an instant as seconds since the epoch.

Every bucketed figure of the glossary (days, weeks, months, hours, weekdays) is bucketed on
the wall clock of the scope's zone. `data.local_time` does that by arithmetic on the
epoch seconds of an instant plus the zone's offset, with the offsets' transitions taken
from Python's zoneinfo, so the one piece of SQL that depends on the backend is how an
instant becomes epoch seconds. The zone itself never reaches SQL.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

Granularity = Literal["day", "week", "month"]


def epoch_seconds(instant: sa.ColumnElement) -> sa.ColumnElement:
    """Seconds (with fraction) since 1970-01-01 00:00 UTC of a `timestamptz` column.

    `EXTRACT(epoch FROM ts)` on DuckDB and PostgreSQL alike.
    """
    return sa.extract("epoch", instant)
