"""The delivery funnel in users (issue 10, item 12): per channel, each step a subset of the
one before, the control group left out; numbers worked out by hand from the events."""

from __future__ import annotations

import datetime as dt
from typing import Unpack

import sqlalchemy as sa

from data.scope import Scope
from metrics.report import build_report
from tests.metrics.builders import campaign_row, event, load
from tests.support.scopes import ScopeFilters


def funnel(engine: sa.Engine, **filters: Unpack[ScopeFilters]) -> list[tuple[str, int]]:
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 3), **filters)
    with engine.connect() as connection:
        report = build_report(connection, scope)
    steps = [(row.step, row.users) for row in report.funnel]
    counts = [users for _, users in steps]
    assert counts == sorted(counts, reverse=True)
    return steps


def test_the_push_funnel_counts_users_who_reached_every_step_before(engine: sa.Engine) -> None:
    purchase = {"event_name": "purchase", "revenue": None}
    load(
        engine,
        campaigns=[campaign_row(conversion_event="purchase")],
        events=[
            # u1 goes all the way and converts
            event("u1", "entered", "2026-03-01 09:00", action_id="a1"),
            event("u1", "sent", "2026-03-01 10:00", action_id="a1"),
            event("u1", "delivered", "2026-03-01 10:01", action_id="a1"),
            event("u1", "opened", "2026-03-01 10:05", action_id="a1"),
            event("u1", "clicked", "2026-03-01 10:06", action_id="a1"),
            # u2 opens and converts without a click: not in Clicked, so not in Converted
            event("u2", "entered", "2026-03-01 09:00"),
            event("u2", "sent", "2026-03-01 10:00", action_id="a1"),
            event("u2", "delivered", "2026-03-01 10:01", action_id="a1"),
            event("u2", "opened", "2026-03-01 11:00", action_id="a1"),
            # u3 is sent twice and never delivered; u4 only entered
            event("u3", "entered", "2026-03-01 09:00"),
            event("u3", "sent", "2026-03-01 10:00", action_id="a2"),
            event("u3", "sent", "2026-03-02 10:00", action_id="a2"),
            event("u4", "entered", "2026-03-01 09:00"),
            # u5 clicks and converts but never entered in range: in no step
            event("u5", "sent", "2026-03-01 10:00", action_id="a1"),
            event("u5", "delivered", "2026-03-01 10:01", action_id="a1"),
            event("u5", "opened", "2026-03-01 10:02", action_id="a1"),
            event("u5", "clicked", "2026-03-01 10:03", action_id="a1"),
            # u6 is held out (control): never in the funnel
            event("u6", "entered", "2026-03-01 09:00"),
            event("u6", "control", "2026-03-01 09:00"),
            # u7 opens and clicks with no sent event in range: stops at Entered
            event("u7", "entered", "2026-03-01 09:00"),
            event("u7", "opened", "2026-03-01 12:00", action_id="a1"),
            event("u7", "clicked", "2026-03-01 12:01", action_id="a1"),
        ],
        conversions=[
            {"conversion_id": "k1", "user_id": "u1", "occurred_at": "2026-03-01 13:00"} | purchase,
            {"conversion_id": "k2", "user_id": "u2", "occurred_at": "2026-03-01 13:00"} | purchase,
            {"conversion_id": "k3", "user_id": "u5", "occurred_at": "2026-03-01 13:00"} | purchase,
            {"conversion_id": "k4", "user_id": "u6", "occurred_at": "2026-03-01 13:00"} | purchase,
        ],
    )
    # Entered: u1 u2 u3 u4 u7 (u6 is control, u5 never entered); Sent: u1 u2 u3;
    # Delivered: u1 u2; Opened: u1 u2; Clicked: u1; Converted: u1.
    assert funnel(engine) == [
        ("Entered", 5),
        ("Sent", 3),
        ("Delivered", 2),
        ("Opened", 2),
        ("Clicked", 1),
        ("Converted", 1),
    ]
    # Under the action filter a1 the users of C are those who received a1: u1 u2 u5 u7
    # (a receipt carrying a1; u3 received only a2). Sent (of a1): u1 u2 u5; delivered and
    # opened: u1 u2 u5; clicked: u1 u5; converted (both converters of a1): u1 u5.
    assert funnel(engine, action="a1") == [
        ("Entered", 4),
        ("Sent", 3),
        ("Delivered", 3),
        ("Opened", 3),
        ("Clicked", 2),
        ("Converted", 2),
    ]


def test_without_delivery_receipts_delivered_means_sent_and_never_bounced(
    engine: sa.Engine,
) -> None:
    load(
        engine,
        events=[
            event("u1", "entered", "2026-03-01 09:00"),
            event("u1", "sent", "2026-03-01 10:00"),
            event("u2", "entered", "2026-03-01 09:00"),
            event("u2", "sent", "2026-03-01 10:00"),
            event("u2", "bounced", "2026-03-01 10:01", bounce_type="soft"),
            event("u3", "entered", "2026-03-01 09:00"),
        ],
    )
    # No goal: no Converted step.
    assert funnel(engine) == [
        ("Entered", 3),
        ("Sent", 2),
        ("Delivered", 1),
        ("Opened", 0),
        ("Clicked", 0),
    ]


def test_the_in_app_funnel_has_no_sent_or_delivered_step(engine: sa.Engine) -> None:
    load(
        engine,
        campaigns=[campaign_row(channel="in_app")],
        events=[
            event("u1", "entered", "2026-03-01 09:00"),
            event("u1", "impression", "2026-03-01 10:00"),
            event("u1", "clicked", "2026-03-01 10:01"),
            event("u2", "entered", "2026-03-01 09:00"),
            event("u2", "impression", "2026-03-01 10:00"),
            event("u2", "impression", "2026-03-02 10:00"),
            event("u3", "entered", "2026-03-01 09:00"),
            # a click without an impression in range is not past Viewed
            event("u3", "clicked", "2026-03-01 10:01"),
        ],
    )
    assert funnel(engine) == [("Entered", 3), ("Viewed", 2), ("Clicked", 1)]
