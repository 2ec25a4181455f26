"""Explore's conversions split by action follow the action cards' attribution (issue 10,
item 4): each conversion on one line, so the lines add up to the campaign's conversions."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from data.scope import Scope
from metrics.explore_data import explore_series
from metrics.report import build_report
from tests.metrics.builders import campaign_row, event, load


def test_conversions_split_by_action_credit_each_conversion_to_one_action(
    engine: sa.Engine,
) -> None:
    purchase = {"event_name": "purchase", "revenue": None}
    load(
        engine,
        campaigns=[campaign_row(conversion_event="purchase")],
        actions=[
            {
                "action_id": "a1",
                "campaign_id": "c1",
                "name": "First",
                "channel": "push",
                "position": 1,
            },
            {
                "action_id": "a2",
                "campaign_id": "c1",
                "name": "Second",
                "channel": "push",
                "position": 2,
            },
        ],
        events=[
            # u1 receives a1 then a2 but clicks a1: the click wins (a1), not the last receipt
            event("u1", "sent", "2026-03-01 10:00", action_id="a1"),
            event("u1", "sent", "2026-03-01 11:00", action_id="a2"),
            event("u1", "clicked", "2026-03-01 12:00", action_id="a1"),
            # u2 only receives a2
            event("u2", "sent", "2026-03-02 10:00", action_id="a2"),
            # u3's message carries no action: no action can claim the conversion
            event("u3", "sent", "2026-03-02 10:00"),
        ],
        conversions=[
            {"conversion_id": "k1", "user_id": "u1", "occurred_at": "2026-03-01 13:00"} | purchase,
            {"conversion_id": "k2", "user_id": "u2", "occurred_at": "2026-03-02 11:00"} | purchase,
            {"conversion_id": "k3", "user_id": "u3", "occurred_at": "2026-03-02 12:00"} | purchase,
        ],
    )
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 2))
    with engine.connect() as connection:
        series = explore_series(connection, scope, "conversions", "action_id", "day")
        report = build_report(connection, scope)
    lines = {
        (row["date"], row["split"]): row["value"]
        for row in series.iter_rows(named=True)
        if row["value"]
    }
    assert lines == {
        (dt.date(2026, 3, 1), "a1"): 1,
        (dt.date(2026, 3, 2), "a2"): 1,
        (dt.date(2026, 3, 2), "(none)"): 1,
    }
    # the lines add up to the card, and each action's line to its card
    assert sum(lines.values()) == report.kpis.conversions == 3
    cards = {row.action_id: row.attributed_conversions for row in report.actions}
    assert cards == {"a1": 1, "a2": 1}


def test_revenue_per_day_adds_up_to_the_revenue_card(engine: sa.Engine) -> None:
    load(
        engine,
        campaigns=[campaign_row(conversion_event="purchase")],
        events=[
            event("u1", "sent", "2026-03-01 10:00"),
            event("u2", "sent", "2026-03-01 10:00"),
            event("u3", "entered", "2026-03-01 09:00"),
            event("u3", "control", "2026-03-01 09:00"),
        ],
        conversions=[
            {"conversion_id": "k1", "user_id": "u1", "occurred_at": "2026-03-01 13:00"}
            | {"event_name": "purchase", "revenue": 10.5},
            {"conversion_id": "k2", "user_id": "u2", "occurred_at": "2026-03-02 13:00"}
            | {"event_name": "purchase", "revenue": None},
            {"conversion_id": "k3", "user_id": "u1", "occurred_at": "2026-03-03 09:00"}
            | {"event_name": "purchase", "revenue": 4.0},
            # the control group's revenue is not the campaign's
            {"conversion_id": "k4", "user_id": "u3", "occurred_at": "2026-03-01 13:00"}
            | {"event_name": "purchase", "revenue": 99.0},
        ],
    )
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 3))
    with engine.connect() as connection:
        report = build_report(connection, scope)
    days = [(row.date.day, row.revenue) for row in report.revenue_series]
    # 10.5 on the 1st, a conversion without revenue (0) on the 2nd, 4.0 on the 3rd
    assert days == [(1, 10.5), (2, 0.0), (3, 4.0)]
    assert sum(revenue for _, revenue in days) == report.kpis.revenue == 14.5
    assert "revenue_series" not in report.model_dump(mode="json")  # not in the JSON report
