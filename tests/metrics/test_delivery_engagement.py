"""Delivery and engagement KPIs over small hand-made datasets (both backends)."""

from __future__ import annotations

import datetime as dt
from typing import Unpack

import pytest
import sqlalchemy as sa

from data.scope import Scope
from metrics.report import build_report
from metrics.report_model import CampaignReport
from tests.metrics.builders import event, load
from tests.support.scopes import ScopeFilters


def report(
    engine: sa.Engine, start: str, end: str, **filters: Unpack[ScopeFilters]
) -> CampaignReport:
    scope = Scope(
        campaign_id="c1",
        start=dt.date.fromisoformat(start),
        end=dt.date.fromisoformat(end),
        **filters,
    )
    with engine.connect() as connection:
        return build_report(connection, scope)


def test_repeat_opens_count_as_opens_but_once_as_unique_opens(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "sent", "2026-03-01 10:00"),
            event("u1", "opened", "2026-03-01 10:05"),
            event("u1", "opened", "2026-03-01 12:00"),
            event("u1", "opened", "2026-03-02 08:00"),
            event("u2", "sent", "2026-03-01 10:00"),
            event("u2", "opened", "2026-03-01 11:00"),
            event("u3", "sent", "2026-03-01 10:00"),
        ],
    )
    kpis = report(engine, "2026-03-01", "2026-03-02").kpis
    # opens: u1 x3 + u2 x1 = 4; unique opens: u1, u2 = 2; recipients: 3 sent, no bounce
    assert (kpis.opens, kpis.unique_opens, kpis.recipients) == (4, 2, 3)
    assert kpis.open_rate == pytest.approx(2 / 3)
    assert kpis.engaged_users == 2
    # no impressions: ctr and dismissal rate are n/a, not 0
    assert kpis.ctr is None and kpis.dismissal_rate is None


def test_without_delivered_events_delivered_and_recipients_are_derived(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "sent", "2026-03-01 10:00"),
            event("u2", "sent", "2026-03-01 10:00"),
            event("u3", "sent", "2026-03-01 10:00"),
            event("u3", "bounced", "2026-03-01 10:01", bounce_type="hard"),
            event("u4", "sent", "2026-03-01 10:00"),
            event("u4", "bounced", "2026-03-01 10:01", bounce_type="soft"),
            event("u5", "sent", "2026-03-01 10:00"),
            event("u5", "bounced", "2026-03-01 10:01"),  # NULL bounce_type counts as hard
        ],
    )
    kpis = report(engine, "2026-03-01", "2026-03-01").kpis
    # sent 5; hard = u3 + u5 (NULL) = 2; soft = u4 = 1; delivered = 5 - 2 - 1 = 2
    assert (kpis.messages_sent, kpis.hard_bounces, kpis.soft_bounces) == (5, 2, 1)
    assert kpis.delivered == 2
    assert kpis.delivery_rate == pytest.approx(0.4)
    assert kpis.bounce_rate == pytest.approx(0.4)  # hard bounces only: 2 / 5
    # recipients: users with a sent and no bounced event = u1, u2
    assert kpis.recipients == 2


def test_one_delivered_event_any_time_switches_to_counting_receipts(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            # before the range: not counted, but proves C has delivered events at all
            event("u1", "sent", "2026-02-28 10:00"),
            event("u1", "delivered", "2026-02-28 10:01"),
            event("u2", "sent", "2026-03-01 10:00"),
            event("u2", "delivered", "2026-03-01 10:01"),
            event("u3", "sent", "2026-03-01 10:00"),
            event("u4", "sent", "2026-03-01 10:00"),
            event("u4", "bounced", "2026-03-01 10:01", bounce_type="soft"),
        ],
    )
    kpis = report(engine, "2026-03-01", "2026-03-01").kpis
    # in range: 3 sent, 1 delivered event (u2); recipients: users with delivered = u2
    assert (kpis.messages_sent, kpis.delivered, kpis.recipients) == (3, 1, 1)
    assert kpis.delivery_rate == pytest.approx(1 / 3)
    assert kpis.bounce_rate == 0  # soft bounces are not in the bounce rate


def test_errors_are_counted_by_code_with_missing_codes_as_unknown(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "failed", "2026-03-01 10:00", error_code="InvalidToken"),
            event("u2", "failed", "2026-03-01 10:00", error_code="InvalidToken"),
            event("u3", "failed", "2026-03-01 10:00"),
            event("u4", "complained", "2026-03-01 11:00"),
            event("u4", "unsubscribed", "2026-03-01 11:00"),
        ],
    )
    kpis = report(engine, "2026-03-01", "2026-03-01").kpis
    assert kpis.errors == 3
    assert kpis.errors_by_code == {"InvalidToken": 2, "unknown": 1}
    assert (kpis.complaints, kpis.unsubscribes) == (1, 1)
    # nothing sent: every rate over messages_sent or recipients is n/a
    assert kpis.bounce_rate is None and kpis.delivery_rate is None and kpis.open_rate is None


def test_entries_count_events_and_audience_counts_users(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "entered", "2026-03-01 09:00"),
            event("u1", "entered", "2026-03-02 09:00"),
            event("u2", "entered", "2026-03-01 09:00"),
            event("u3", "entered", "2026-03-05 09:00"),  # after the range
        ],
    )
    kpis = report(engine, "2026-03-01", "2026-03-02").kpis
    assert (kpis.entries, kpis.audience_size) == (3, 2)


def test_exclusions_drop_test_users_and_automated_opens_and_clicks(engine: sa.Engine) -> None:
    load(
        engine,
        users=[
            {"user_id": "tester", "platform": "ios", "device_model": "iPhone", "is_test": True},
            {"user_id": "u1", "platform": "android", "device_model": "Pixel", "is_test": False},
        ],
        events=[
            event("u1", "impression", "2026-03-01 10:00"),
            event("u1", "opened", "2026-03-01 10:01", is_machine=True),
            event("u1", "clicked", "2026-03-01 10:02", is_machine=True),
            event("u1", "clicked", "2026-03-01 10:03"),
            event("tester", "impression", "2026-03-01 10:00"),
            event("tester", "clicked", "2026-03-01 10:01"),
            event("nobody", "impression", "2026-03-01 10:00"),  # no users row: not a test user
        ],
    )
    everything = report(engine, "2026-03-01", "2026-03-01").kpis
    # impressions: u1, tester, nobody = 3; clicks: u1 x2 + tester = 3; opens: 1 (machine)
    assert (everything.impressions, everything.clicks, everything.opens) == (3, 3, 1)
    people = report(
        engine, "2026-03-01", "2026-03-01", exclude_test_users=True, exclude_machine=True
    ).kpis
    # without tester and machine events: impressions u1, nobody = 2; clicks: u1's human = 1
    assert (people.impressions, people.clicks, people.opens) == (2, 1, 0)
    assert people.ctr == pytest.approx(0.5)
    assert people.unique_clicks == 1
