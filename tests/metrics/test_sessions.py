"""Sessions before and during: windows, clamping, DST, daily rows and the population."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from metrics.report import sessions_report
from metrics.sessions import session_windows
from tests.metrics.conversion_fixtures import (
    at,
    campaign_info,
    event,
    load,
    scope,
    session,
)

NEW_YORK_DST_DAY = dt.date(2026, 3, 8)  # clocks go from 02:00 to 03:00: 23 hours


def test_sessions_per_day_before_and_during_for_entered_users_only(engine: sa.Engine) -> None:
    # started 03-10 00:00 UTC, still running; range 03-10..03-17 -> during [03-10, 03-18),
    # 8 days; before = 8 x 0.25 = 2 days -> [03-08, 03-10)
    campaign = campaign_info(started_at=at(10))
    load(
        engine,
        campaign,
        events=[
            event("u1", "entered", at(12)),  # entered after the range starts: any time counts
            event("u2", "entered", at(1, month=1)),
            event("u3", "sent", at(10, 1)),  # never entered: not in the population
            event("u4", "entered", at(10), campaign_id="other"),  # another campaign
        ],
        session_rows=[
            session("u1", at(7, 23), 999.0),  # before the before window
            session("u1", at(8, 12), 60.0),  # before
            session("u1", at(9, 12), 120.0),  # before
            session("u1", at(10, 5), 30.0),  # during
            session("u1", at(12, 8), 90.0),  # during
            session("u2", at(17, 23, 59), 10.0),  # during, last minute
            session("u2", at(18), 999.0),  # at the (exclusive) end of the during window
            session("u3", at(11), 999.0),  # not entered
            session("u4", at(11), 999.0),  # entered another campaign
        ],
    )
    with engine.connect() as connection:
        summary = sessions_report(connection, scope(10, 17), campaign)
    assert (summary.before_start, summary.during_start, summary.during_end) == (
        at(8),
        at(10),
        at(18),
    )
    assert summary.sessions_per_day_before == 1.0  # 2 sessions / 2 days
    assert summary.avg_session_seconds_before == 90.0  # (60 + 120) / 2
    assert summary.sessions_per_day_during == 3 / 8  # 3 sessions / 8 days
    assert summary.avg_session_seconds_during == pytest.approx(130 / 3)  # (30 + 90 + 10) / 3
    # one row per date 03-08 .. 03-17, zeros included
    daily = [(row.date.day, row.sessions, row.avg_session_seconds) for row in summary.daily]
    assert daily == [
        (8, 1, 60.0),
        (9, 1, 120.0),
        (10, 1, 30.0),
        (11, 0, None),
        (12, 1, 90.0),
        (13, 0, None),
        (14, 0, None),
        (15, 0, None),
        (16, 0, None),
        (17, 1, 10.0),
    ]


def test_campaign_end_before_range_end_closes_the_during_window(engine: sa.Engine) -> None:
    # ended 03-12 06:00: during [03-10, 03-12 06:00) = 2.25 days; before 0.5625 -> 1 day
    campaign = campaign_info(started_at=at(10), ended_at=at(12, 6))
    load(
        engine,
        campaign,
        events=[event("u1", "entered", at(10, 1))],
        session_rows=[
            session("u1", at(9, 12), 40.0),
            session("u1", at(12, 5), 20.0),
            session("u1", at(12, 7), 999.0),  # after the campaign ended
        ],
    )
    with engine.connect() as connection:
        summary = sessions_report(connection, scope(10, 17), campaign)
    assert summary.before_start == at(9)
    assert summary.during_end == at(12, 6)
    assert summary.sessions_per_day_before == 1.0  # 1 / 1 day
    assert summary.sessions_per_day_during == 1 / 2.25
    assert summary.avg_session_seconds_during == 20.0
    assert [row.date.day for row in summary.daily] == [9, 10, 11, 12]


def test_before_window_is_clamped_to_one_and_fourteen_days() -> None:
    start = at(10)
    # a 2-day during window: 0.5 day -> clamped up to 1 day
    assert session_windows(start, None, at(12))[0] == at(9)
    # a 62-day during window (to 05-11): 15.5 days -> clamped down to 14 days
    assert session_windows(start, None, at(11, month=5))[0] == at(24, month=2)
    # 40 days: exactly 10 days, unclamped
    assert session_windows(start, None, at(19, month=4))[0] == at(28, month=2)
    # the range start does not move the during window; a range ending before the
    # start leaves it empty (and a 1-day before window)
    assert session_windows(start, None, at(5)) == (at(9), start, start)


def test_dst_day_counts_as_23_hours(engine: sa.Engine) -> None:
    # started 03-08 00:00 in New York (05:00 UTC); range = that local day, which ends at
    # 03-09 00:00 EDT = 04:00 UTC: 23 hours, 23/24 of a day. Before: clamped to 1 day.
    started = dt.datetime(2026, 3, 8, 5, tzinfo=dt.UTC)
    campaign = campaign_info(started_at=started)
    load(
        engine,
        campaign,
        events=[event("u1", "entered", started)],
        session_rows=[
            session("u1", dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC), 50.0),  # before
            session("u1", dt.datetime(2026, 3, 9, 3, tzinfo=dt.UTC), 70.0),  # 03-08 23:00 EDT
            session("u1", dt.datetime(2026, 3, 9, 4, tzinfo=dt.UTC), 999.0),  # 03-09 local
        ],
    )
    day_scope = scope(8, 8, tz="America/New_York")
    with engine.connect() as connection:
        summary = sessions_report(connection, day_scope, campaign)
    assert summary.during_end == dt.datetime(2026, 3, 9, 4, tzinfo=dt.UTC)
    assert summary.sessions_per_day_during == pytest.approx(24 / 23)  # 1 session / (23/24)
    assert summary.before_start == dt.datetime(2026, 3, 7, 5, tzinfo=dt.UTC)
    assert summary.sessions_per_day_before == 1.0
    # local dates: 03-07 (the before window's start, 00:00 EST) and 03-08
    daily = [(row.date, row.sessions, row.avg_session_seconds) for row in summary.daily]
    assert daily == [
        (dt.date(2026, 3, 7), 1, 50.0),
        (NEW_YORK_DST_DAY, 1, 70.0),
    ]


def test_filters_shape_the_population(engine: sa.Engine) -> None:
    campaign = campaign_info(started_at=at(10))
    load(
        engine,
        campaign,
        variant_rows=[("A", False), ("B", False)],
        user_rows=[("u2", True)],
        events=[
            event("u1", "entered", at(10), variant_id="A"),
            event("u2", "entered", at(10), variant_id="B"),  # a test user
        ],
        session_rows=[session("u1", at(11), 10.0), session("u2", at(11), 30.0)],
    )
    with engine.connect() as connection:
        everyone = sessions_report(connection, scope(10, 13), campaign)
        real = sessions_report(connection, scope(10, 13, exclude_test_users=True), campaign)
        only_b = sessions_report(connection, scope(10, 13, variant="B"), campaign)
    # during [03-10, 03-14) = 4 days
    assert everyone.sessions_per_day_during == 2 / 4
    assert everyone.avg_session_seconds_during == 20.0
    assert real.sessions_per_day_during == 1 / 4  # u1 only
    assert only_b.avg_session_seconds_during == 30.0  # u2 only (entered with B)
    assert everyone.avg_session_seconds_before is None  # no session before: no mean
    assert everyone.sessions_per_day_before == 0.0
