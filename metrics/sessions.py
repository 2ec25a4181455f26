"""Sessions before and during: did the campaign's users use the app more once it started?

The during window runs from the campaign start to the end of the range (or the campaign's
end, if earlier); the before window is a quarter of that length, at least a day and at most
two weeks, ending at the start, so both rates are per elapsed day and comparable. Lengths
are elapsed time (a DST day lasts 23 or 25 hours), not calendar days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl

from metrics.report_model import CampaignInfo, SessionDayRow, SessionsSummary

SECONDS_PER_DAY = 86_400.0
BEFORE_SHARE = 0.25
BEFORE_MIN = dt.timedelta(days=1)
BEFORE_MAX = dt.timedelta(days=14)


def session_windows(
    started_at: dt.datetime, ended_at: dt.datetime | None, range_end: dt.datetime
) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(before_start, during_start, during_end) for a campaign and a range end (exclusive).

    A range that ends before the campaign started leaves an empty during window (its end is
    the start), and so a one-day before window.

    >>> utc = dt.timezone.utc
    >>> start = dt.datetime(2026, 1, 1, tzinfo=utc)
    >>> [w.isoformat() for w in session_windows(start, None, dt.datetime(2026, 1, 9, tzinfo=utc))]
    ['2025-12-30T00:00:00+00:00', '2026-01-01T00:00:00+00:00', '2026-01-09T00:00:00+00:00']
    """
    during_end = range_end if ended_at is None else min(range_end, ended_at)
    during_end = max(during_end, started_at)
    before_length = min(max((during_end - started_at) * BEFORE_SHARE, BEFORE_MIN), BEFORE_MAX)
    return started_at - before_length, started_at, during_end


def _aware(instant: dt.datetime) -> dt.datetime:
    """Naive timestamps (some drivers) are UTC, as the schema stores them."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / SECONDS_PER_DAY


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None


def _phase_totals(buckets: pl.DataFrame, *, during: bool) -> tuple[int, float]:
    """(sessions, summed seconds) of one window's buckets."""
    part = buckets.filter(pl.col("during") == during)
    return int(part["sessions"].sum()), float(part["total_seconds"].sum())


def summarize_sessions(
    buckets: pl.DataFrame,
    before_start: dt.datetime,
    during_start: dt.datetime,
    during_end: dt.datetime,
    tz: str,
) -> SessionsSummary:
    """The sessions object of the report from per (local date, phase) buckets.

    `buckets` has date, during, sessions, total_seconds (sessions started in
    [before_start, during_end)). `daily` has every local date in `tz` from the before
    window's first to the during window's last, zeros included; an empty window has no
    rate (None) rather than 0 per day.
    """
    before_days = _days(before_start, during_start)
    during_days = _days(during_start, during_end)
    zone = ZoneInfo(tz)
    first_date = before_start.astimezone(zone).date()
    # The during window is half-open and the before window lasts at least a day, so the
    # last date is that of the window's last microsecond.
    last_date = (during_end - dt.timedelta(microseconds=1)).astimezone(zone).date()
    per_date = {
        row["date"]: (int(row["sessions"]), float(row["total_seconds"]))
        for row in buckets.group_by("date")
        .agg(pl.col("sessions").sum(), pl.col("total_seconds").sum())
        .iter_rows(named=True)
    }
    daily = []
    for offset in range((last_date - first_date).days + 1):
        date = first_date + dt.timedelta(days=offset)
        count, total = per_date.get(date, (0, 0.0))
        daily.append(
            SessionDayRow(date=date, sessions=count, avg_session_seconds=_mean(total, count))
        )
    before_count, before_total = _phase_totals(buckets, during=False)
    during_count, during_total = _phase_totals(buckets, during=True)
    return SessionsSummary(
        before_start=before_start,
        during_start=during_start,
        during_end=during_end,
        sessions_per_day_before=before_count / before_days if before_days > 0 else None,
        sessions_per_day_during=during_count / during_days if during_days > 0 else None,
        avg_session_seconds_before=_mean(before_total, before_count),
        avg_session_seconds_during=_mean(during_total, during_count),
        daily=daily,
    )


def campaign_session_windows(
    campaign: CampaignInfo, range_end: dt.datetime
) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """`session_windows` of `campaign` for a range ending at `range_end` (exclusive): what
    the report reads the session buckets over, then hands to `summarize_sessions`."""
    return session_windows(
        _aware(campaign.started_at),
        None if campaign.ended_at is None else _aware(campaign.ended_at),
        range_end,
    )
