"""Per action, variant, run, link, platform and device: the report's breakdown tables."""

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


def report(engine: sa.Engine, **filters: Unpack[ScopeFilters]) -> CampaignReport:
    scope = Scope(campaign_id="c1", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 7), **filters)
    with engine.connect() as connection:
        return build_report(connection, scope)


ACTIONS = [
    {"campaign_id": "c1", "action_id": "a2", "name": "Reminder", "channel": "push", "position": 2},
    {"campaign_id": "c1", "action_id": "a1", "name": "Teaser", "channel": "push", "position": 1},
    {"campaign_id": "c1", "action_id": "a3", "name": "Last call", "channel": "push", "position": 3},
]


def test_events_without_action_count_in_totals_but_in_no_action(engine: sa.Engine) -> None:
    load(
        engine,
        actions=ACTIONS,
        events=[
            event("u1", "sent", "2026-03-01 10:00", action_id="a1"),
            event("u1", "clicked", "2026-03-01 10:05", action_id="a1"),
            event("u1", "clicked", "2026-03-01 10:06", action_id="a1"),
            event("u2", "sent", "2026-03-01 10:00"),
            event("u2", "clicked", "2026-03-01 10:05"),
            event("u3", "impression", "2026-03-02 10:00", action_id="a2"),
            event("u3", "dismissed", "2026-03-02 10:01", action_id="a2"),
        ],
    )
    rep = report(engine)
    # totals: 3 clicks (2 on a1, 1 without action), 2 sent
    assert (rep.kpis.clicks, rep.kpis.messages_sent) == (3, 2)
    rows = [(a.action_id, a.position, a.received_users, a.clicks) for a in rep.actions]
    # flow order, a3 with zeros; a1 received by u1, a2 by u3 (impression is a receipt)
    assert rows == [("a1", 1, 1, 2), ("a2", 2, 1, 0), ("a3", 3, 0, 0)]
    assert all(a.attributed_conversions is None for a in rep.actions)  # no goal
    drill = report(engine, action="a1").kpis
    # read through a1 only: u1's sent and 2 clicks
    assert (drill.messages_sent, drill.clicks, drill.unique_clicks) == (1, 2, 1)


def test_variants_get_their_own_event_counts_and_the_srm_input(engine: sa.Engine) -> None:
    load(
        engine,
        variants=[
            {
                "campaign_id": "c1",
                "variant_id": "A",
                "name": "A",
                "is_control": False,
                "allocation": 0.5,
            },
            {
                "campaign_id": "c1",
                "variant_id": "B",
                "name": "B",
                "is_control": False,
                "allocation": 0.5,
            },
        ],
        events=[
            event("u1", "entered", "2026-03-01 09:00", variant_id="A"),
            event("u1", "sent", "2026-03-01 10:00", variant_id="A"),
            event("u1", "impression", "2026-03-01 10:01", variant_id="A"),
            event("u1", "clicked", "2026-03-01 10:02", variant_id="A"),
            event("u2", "entered", "2026-03-01 09:00", variant_id="B"),
            event("u2", "failed", "2026-03-01 10:00", variant_id="B"),
            event("u3", "entered", "2026-03-01 09:00", variant_id="B"),
            event("u3", "sent", "2026-03-01 10:00", variant_id="B"),
            event("u3", "opened", "2026-03-01 11:00", variant_id="B"),
            event("u4", "entered", "2026-03-01 09:00"),  # no variant: not in the SRM test
        ],
    )
    rep = report(engine)
    by_id = {v.variant_id: v for v in rep.variants}
    a, b = by_id["A"], by_id["B"]
    assert (a.messages_sent, a.impressions, a.clicks, a.opens, a.errors) == (1, 1, 1, 0, 0)
    assert (b.messages_sent, b.impressions, b.clicks, b.opens, b.errors) == (1, 0, 0, 1, 1)
    assert a.ctr == 1.0 and b.ctr is None
    assert a.is_baseline and not b.is_baseline  # no control: first variant_id
    # entered under A: 1, under B: 2, planned 50/50: chi2 = (1-1.5)^2/1.5 * 2 = 1/3, 1 dof
    assert rep.srm_p_value == pytest.approx(0.5637028616507731)


def test_runs_have_their_own_counts_and_derived_delivered(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "entered", "2026-03-01 08:00", run_id="r1"),
            event("u1", "sent", "2026-03-01 09:00", run_id="r1"),
            event("u1", "opened", "2026-03-01 10:00", run_id="r1"),
            event("u1", "opened", "2026-03-01 11:00", run_id="r1"),
            event("u2", "entered", "2026-03-01 08:00", run_id="r1"),
            event("u2", "sent", "2026-03-01 09:00", run_id="r1"),
            event("u2", "bounced", "2026-03-01 09:01", run_id="r1"),
            event("u1", "sent", "2026-03-04 09:00", run_id="r2"),
            event("u1", "clicked", "2026-03-04 09:30", run_id="r2"),
            event("u1", "sent", "2026-02-20 09:00", run_id="r0"),  # before the range: no row
        ],
    )
    runs = {r.run_id: r for r in report(engine).runs}
    assert list(runs) == ["r1", "r2"]
    r1 = runs["r1"]
    # r1: 2 entered users, 2 sent, 1 hard bounce (NULL type) -> delivered 1, 2 opens by u1
    assert (r1.endpoints_targeted, r1.messages_sent, r1.hard_bounces, r1.delivered) == (2, 2, 1, 1)
    assert (r1.opens, r1.unique_opens, r1.clicks) == (2, 1, 0)
    assert r1.first_event_at == dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    assert (runs["r2"].endpoints_targeted, runs["r2"].delivered, runs["r2"].clicks) == (0, 1, 1)


def test_links_are_ranked_by_clicks_with_unique_clickers(engine: sa.Engine) -> None:
    load(
        engine,
        events=[
            event("u1", "clicked", "2026-03-01 10:00", link_url="https://a"),
            event("u1", "clicked", "2026-03-01 10:01", link_url="https://b"),
            event("u1", "clicked", "2026-03-01 10:02", link_url="https://b"),
            event("u2", "clicked", "2026-03-01 10:03", link_url="https://b"),
            event("u3", "clicked", "2026-03-01 10:04"),  # no link: not a row
        ],
    )
    links = [(row.link_url, row.clicks, row.unique_clicks) for row in report(engine).links]
    assert links == [("https://b", 3, 2), ("https://a", 1, 1)]


def test_platform_and_device_fall_back_to_the_user_then_unknown(engine: sa.Engine) -> None:
    load(
        engine,
        users=[{"user_id": "u1", "platform": "ios", "device_model": "iPhone 15", "is_test": False}],
        events=[
            event("u1", "impression", "2026-03-01 10:00"),  # user's: ios / iPhone 15
            event("u1", "opened", "2026-03-01 10:00", platform="android"),  # event's platform
            event("u2", "clicked", "2026-03-01 10:00"),  # no users row: unknown
        ],
    )
    rep = report(engine)
    platforms = {(p.platform, p.impressions, p.opens, p.clicks) for p in rep.platforms}
    assert platforms == {("ios", 1, 0, 0), ("android", 0, 1, 0), ("unknown", 0, 0, 1)}
    devices = {(d.device_model, d.impressions, d.opens, d.clicks) for d in rep.devices}
    assert devices == {("iPhone 15", 1, 1, 0), ("unknown", 0, 0, 1)}
