"""What a figure is computed over: one campaign, a local date range, a zone and filters.

The glossary's "Scope of every figure" section, as one validated value. The app's URL
state, the report CLI and the tests all build a `Scope`, so they cannot disagree on
what "the range" means. It lives in `data/` because the queries apply it, and data/ never
imports metrics/ (data flows one way).
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, field_validator, model_validator


@functools.cache
def _zone_names() -> frozenset[str]:
    """Every IANA zone name on this machine: a directory walk of 0.01-0.3 s, done once (and
    not at all for UTC, the default: it was 10 ms of every report command)."""
    return frozenset(available_timezones())


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError with a readable message if there is none."""
    try:
        if name != "UTC" and name not in _zone_names():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as UTC, Europe/Paris or "
            "America/New_York"
        ) from error


def local_midnight_utc(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant at which `day` starts in `zone` (00:00 local, DST-aware)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def default_range(
    started_at: dt.datetime, newest_event_at: dt.datetime | None, tz: str
) -> tuple[dt.date, dt.date]:
    """The glossary's default range of a campaign in zone `tz`, as (start, end) local dates.

    From the local date of C.started_at to the local date of C's newest message event
    (any user, any type: `data.queries.catalog`'s `last_event_at` / `newest_campaign_event`).
    start..start when C has no events yet (or only events before its start), even if it
    has ended: the glossary's end is the newest event, never `ended_at`. One rule for the
    sidebar, the report (its CLI's defaults) and the Campaigns page's summary; two copies
    once disagreed for a campaign that ended without events. Naive instants read as UTC.

    >>> utc = dt.timezone.utc
    >>> default_range(dt.datetime(2026, 3, 1, 23, tzinfo=utc), None, "Asia/Tokyo")
    (datetime.date(2026, 3, 2), datetime.date(2026, 3, 2))
    """
    zone = zone_named(tz)
    start = _as_utc(started_at).astimezone(zone).date()
    if newest_event_at is None:
        return start, start
    return start, max(start, _as_utc(newest_event_at).astimezone(zone).date())


def _as_utc(instant: dt.datetime) -> dt.datetime:
    """An instant as aware; a naive one (some drivers return them) is UTC."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


class Scope(BaseModel):
    """Campaign, inclusive local date range [start, end] in zone `tz`, and the filters.

    The range covers [start 00:00 in tz, day after end 00:00 in tz): a local day may last
    23 or 25 hours across a DST change, and half-hour zones shift it by 30 minutes.
    """

    model_config = ConfigDict(frozen=True)

    campaign_id: str
    start: dt.date
    end: dt.date
    tz: str = "UTC"
    exclude_test_users: bool = False
    exclude_machine: bool = False
    variant: str | None = None
    action: str | None = None

    @field_validator("tz")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        zone_named(value)
        return value

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Scope:
        if self.end < self.start:
            raise ValueError(
                f"the end date {self.end.isoformat()} is before the start date "
                f"{self.start.isoformat()}"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def range_start_utc(self) -> dt.datetime:
        """First instant of the range, in UTC (inclusive)."""
        return local_midnight_utc(self.start, self.zone)

    @property
    def range_end_utc(self) -> dt.datetime:
        """First instant after the range, in UTC (exclusive)."""
        return local_midnight_utc(self.end + dt.timedelta(days=1), self.zone)

    def local_dates(self) -> list[dt.date]:
        """Every local date of the range, in order: the rows of a daily series."""
        days = (self.end - self.start).days + 1
        return [self.start + dt.timedelta(days=offset) for offset in range(days)]
