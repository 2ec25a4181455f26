"""Daily, weekly and monthly series on local buckets, across DST and half-hour zones."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa

from data.scope import Scope
from data.vocabulary import Granularity
from metrics.explore_data import explore_series
from metrics.report import build_report
from metrics.report_model import CampaignReport
from tests.conftest import WITH_CLICKHOUSE
from tests.metrics.builders import event, load


@pytest.fixture(params=WITH_CLICKHOUSE)
def backend(request: pytest.FixtureRequest) -> str:
    """These tests also run on the two-shard ClickHouse cluster."""
    return str(request.param)


def report(
    engine: sa.Engine, start: str, end: str, tz: str = "UTC", granularity: Granularity = "day"
) -> CampaignReport:
    scope = Scope(
        campaign_id="c1",
        start=dt.date.fromisoformat(start),
        end=dt.date.fromisoformat(end),
        tz=tz,
    )
    with engine.connect() as connection:
        return build_report(connection, scope, granularity)


def column(rep: CampaignReport, name: str) -> list[object]:
    return [getattr(row, name) for row in rep.daily]


def test_cumulative_uniques_do_not_double_count_returning_users(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "impression", "2026-03-01 10:00"),
            event("u1", "impression", "2026-03-02 10:00"),
            event("u2", "impression", "2026-03-02 11:00"),
            event("u1", "impression", "2026-03-03 10:00"),
            event("u1", "clicked", "2026-03-03 10:01"),
        ],
    )
    rep = report(engine, "2026-03-01", "2026-03-04")
    assert column(rep, "date") == [dt.date(2026, 3, d) for d in (1, 2, 3, 4)]
    assert column(rep, "impressions") == [1, 2, 1, 0]
    assert column(rep, "unique_impressions") == [1, 2, 1, 0]
    assert column(rep, "cumulative_impressions") == [1, 3, 4, 4]
    # u1 returns on days 2 and 3 but counts once; u2 is new on day 2
    assert column(rep, "cumulative_unique_impressions") == [1, 2, 2, 2]
    assert rep.kpis.unique_impressions == 2


def test_a_day_without_events_is_in_daily_with_zeros(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "sent", "2026-03-01 10:00"),
            event("u1", "sent", "2026-03-03 10:00"),
        ],
    )
    rep = report(engine, "2026-03-01", "2026-03-03")
    quiet = rep.daily[1]
    assert quiet.date == dt.date(2026, 3, 2)
    assert (quiet.messages_sent, quiet.delivered, quiet.impressions, quiet.opens) == (0, 0, 0, 0)
    assert quiet.ctr is None and quiet.dismissal_rate is None  # n/a, not 0
    assert quiet.conversions is None  # the campaign has no conversion goal
    assert column(rep, "delivered") == [1, 0, 1]  # derived: sent - bounces


def test_weekly_buckets_start_monday_and_count_users_per_week(engine: sa.Engine) -> None:
    # 2026-03-01 is a Sunday: its week starts Monday 2026-02-23
    load(
        engine,
        events=[
            event("u1", "impression", "2026-03-01 10:00"),
            event("u1", "impression", "2026-03-03 10:00"),
            event("u1", "impression", "2026-03-05 10:00"),
            event("u2", "impression", "2026-03-05 10:00"),
            event("u2", "impression", "2026-03-10 10:00"),
        ],
    )
    rep = report(engine, "2026-03-01", "2026-03-10", granularity="week")
    assert column(rep, "date") == [dt.date(2026, 2, 23), dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
    assert column(rep, "impressions") == [1, 3, 1]
    # week of 03-02: u1 (twice) and u2 = 2 users, not 1 + 2 daily uniques
    assert column(rep, "unique_impressions") == [1, 2, 1]
    assert column(rep, "cumulative_unique_impressions") == [1, 2, 2]


def test_monthly_buckets_start_on_the_first(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "opened", "2026-02-27 10:00"),
            event("u1", "opened", "2026-03-31 22:00"),
        ],
    )
    rep = report(engine, "2026-02-27", "2026-03-31", granularity="month")
    assert column(rep, "date") == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert column(rep, "opens") == [1, 1]


def test_an_event_at_2330_utc_is_next_day_in_kolkata(engine: sa.Engine) -> None:
    load(engine, events=[event("u1", "opened", "2026-03-01 23:30")])
    # 23:30 UTC + 5:30 = 05:00 on 03-02 in Asia/Kolkata
    kolkata = report(engine, "2026-03-01", "2026-03-02", tz="Asia/Kolkata")
    assert column(kolkata, "opens") == [0, 1]
    assert [(r.date, r.hour) for r in kolkata.open_times] == [(dt.date(2026, 3, 2), 5)]
    # 2026-03-02 is a Monday
    assert [(r.weekday, r.hour, r.opens) for r in kolkata.open_punch_card] == [(0, 5, 1)]
    utc = report(engine, "2026-03-01", "2026-03-02")
    assert column(utc, "opens") == [1, 0]
    assert [(r.date, r.hour) for r in utc.open_times] == [(dt.date(2026, 3, 1), 23)]


def test_kolkata_range_starts_at_1830_utc(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "sent", "2026-03-01 18:29"),  # 23:59 on 03-01 local: out
            event("u1", "sent", "2026-03-01 18:30"),  # 00:00 on 03-02 local: in
        ],
    )
    assert report(engine, "2026-03-02", "2026-03-02", tz="Asia/Kolkata").kpis.messages_sent == 1


def test_new_york_spring_forward_day_has_23_hours(engine: sa.Engine) -> None:
    # DST starts 2026-03-08 02:00 EST: local 03-08 is [05:00 UTC on 03-08, 04:00 UTC on 03-09)
    load(
        engine,
        events=[
            event("u1", "opened", "2026-03-08 04:59"),  # 03-07 23:59 EST
            event("u1", "opened", "2026-03-08 05:00"),  # 03-08 00:00 EST
            event("u1", "opened", "2026-03-09 03:59"),  # 03-08 23:59 EDT
            event("u1", "opened", "2026-03-09 04:00"),  # 03-09 00:00 EDT (a fixed -5 h: 03-08)
        ],
    )
    rep = report(engine, "2026-03-07", "2026-03-09", tz="America/New_York")
    assert column(rep, "opens") == [1, 2, 1]
    assert [(r.date, r.hour, r.opens) for r in rep.open_times] == [
        (dt.date(2026, 3, 7), 23, 1),
        (dt.date(2026, 3, 8), 0, 1),
        (dt.date(2026, 3, 8), 23, 1),
        (dt.date(2026, 3, 9), 0, 1),
    ]


def test_new_york_fall_back_day_has_25_hours(engine: sa.Engine) -> None:
    # DST ends 2026-11-01 02:00 EDT: local 11-01 is [04:00 UTC on 11-01, 05:00 UTC on 11-02)
    load(
        engine,
        campaigns=None,
        events=[
            event("u1", "opened", "2026-11-01 03:59"),  # 10-31 23:59 EDT
            event("u1", "opened", "2026-11-01 04:00"),  # 11-01 00:00 EDT
            event("u1", "opened", "2026-11-01 05:30"),  # 01:30 EDT
            event("u1", "opened", "2026-11-01 06:30"),  # 01:30 EST, the hour repeats
            event("u1", "opened", "2026-11-02 04:30"),  # 11-01 23:30 EST
            event("u1", "opened", "2026-11-02 05:00"),  # 11-02 00:00 EST
        ],
    )
    scope = Scope(
        campaign_id="c1",
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 1),
        tz="America/New_York",
    )
    assert scope.range_end_utc - scope.range_start_utc == dt.timedelta(hours=25)
    rep = report(engine, "2026-10-31", "2026-11-02", tz="America/New_York")
    assert column(rep, "opens") == [1, 4, 1]
    on_the_day = [(r.hour, r.opens) for r in rep.open_times if r.date == dt.date(2026, 11, 1)]
    assert on_the_day == [(0, 1), (1, 2), (23, 1)]


def test_the_same_whole_campaign_range_gives_the_same_totals_in_any_zone(
    engine: sa.Engine,
) -> None:
    load(
        engine,
        events=[
            event("u1", "sent", "2026-03-03 00:10"),
            event("u1", "impression", "2026-03-03 23:50"),
            event("u2", "impression", "2026-03-04 12:00"),
            event("u2", "clicked", "2026-03-04 12:01"),
            event("u1", "opened", "2026-03-05 18:45"),
        ],
    )
    totals = {}
    for tz in ("UTC", "Asia/Kolkata", "America/New_York"):
        rep = report(engine, "2026-03-01", "2026-03-08", tz=tz)
        daily = pl.DataFrame([row.model_dump() for row in rep.daily])
        totals[tz] = (
            rep.kpis.model_dump(),
            daily.select("messages_sent", "impressions", "opens", "clicks").sum().row(0),
            daily["cumulative_unique_impressions"][-1],
        )
    assert totals["UTC"] == totals["Asia/Kolkata"] == totals["America/New_York"]
    assert totals["UTC"][1] == (1, 2, 1, 1)


def test_explore_series_splits_a_figure_by_variant_over_every_day(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "impression", "2026-03-01 10:00", variant_id="A"),
            event("u1", "clicked", "2026-03-01 10:01", variant_id="A"),
            event("u2", "impression", "2026-03-02 10:00", variant_id="B"),
            event("u3", "impression", "2026-03-02 10:00", variant_id="B"),
        ],
    )
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 2))
    with engine.connect() as connection:
        ctr = explore_series(connection, scope, "ctr", "variant_id", "day")
        unique = explore_series(connection, scope, "unique_impressions", None, "day")
        reach = explore_series(
            connection, scope, "cumulative_unique_impressions", "variant_id", "day"
        )
    assert ctr.columns == ["date", "split", "value"]
    # A: day 1 1 click / 1 impression; day 2 no impressions -> null. B: day 1 n/a, day 2 0/2
    assert ctr.sort("split", "date")["value"].to_list() == [1.0, None, None, 0.0]
    assert unique["split"].to_list() == ["all", "all"]
    assert unique["value"].to_list() == [1, 2]
    # A: u1 on day 1; B: u2 and u3 on day 2
    assert reach.sort("split", "date")["value"].to_list() == [1, 1, 0, 2]
