"""The Campaigns page's one summary statement equals `campaign_kpis` of every campaign.

Four hand-built campaigns cover the glossary's special cases: `cg` (push, a goal, a
control group, `delivered` receipts, a test user, a machine open, a conversion exactly at
the end of the window), `cn` (email, no goal, no `delivered` events, so delivered and
recipients are derived), `ce` (a goal and no events at all) and `ci` (in-app, impressions
and a click, a conversion before the anchor). Some events sit near local midnight, so the
default range moves with the zone. Each row is compared with `campaign_kpis` over the
same default range, for several zones and both flags, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from data.demo import build_demo, generate_demo
from data.queries.campaign_summary import campaign_summary
from metrics.campaign_summary import summary_figures, with_headline
from metrics.report import campaign_kpis, default_scope
from tests.metrics.builders import campaign_row, event, load

SHOWN = (
    "audience_size",
    "messages_sent",
    "open_rate",
    "ctr",
    "click_rate",
    "delivery_rate",
    "conversion_rate",
)
"""What the Campaigns page shows (the headline rate is one of open_rate, ctr, click_rate)."""
ALSO = ("delivered", "recipients", "receivers", "converted_users")
ZONES = ("UTC", "Asia/Kolkata", "America/Los_Angeles")
FLAGS = [(False, False), (True, False), (False, True), (True, True)]


def _conversion(user_id: str, event_name: str, occurred_at: str) -> dict[str, Any]:
    return {
        "conversion_id": f"{user_id}-{event_name}-{occurred_at}",
        "user_id": user_id,
        "event_name": event_name,
        "occurred_at": occurred_at,
        "revenue": 10.0,
    }


def _load_four_campaigns(engine: sa.Engine) -> None:
    a, ctl = {"variant_id": "A", "campaign_id": "cg"}, {"variant_id": "ctl", "campaign_id": "cg"}
    load(
        engine,
        campaigns=[
            campaign_row(
                "cg",
                "2026-03-01 08:00",
                conversion_event="purchase",
                conversion_window_hours=24,
            ),
            campaign_row("cn", "2026-03-02 00:00", channel="email"),
            campaign_row("ce", "2026-03-05 00:00", conversion_event="signup", channel="in_app"),
            campaign_row(
                "ci",
                "2026-03-01 00:00",
                conversion_event="signup",
                conversion_window_hours=48,
                channel="in_app",
            ),
        ],
        variants=[
            {**a, "name": "Offer", "is_control": False, "allocation": 0.5},
            {**ctl, "name": "Holdout", "is_control": True, "allocation": 0.5},
        ],
        users=[
            {"user_id": "u1", "platform": "ios", "device_model": "x", "is_test": False},
            {"user_id": "u4", "platform": "ios", "device_model": "x", "is_test": True},
        ],
        events=[
            # cg: 02:00 UTC is before the start's local midnight in Los Angeles only
            event("u1", "entered", "2026-03-01 02:00", **a),
            event("u1", "sent", "2026-03-01 09:00", **a),
            event("u1", "delivered", "2026-03-01 09:01", **a),
            event("u1", "opened", "2026-03-01 10:00", **a),
            event("u1", "clicked", "2026-03-01 10:05", **a),
            event("u2", "entered", "2026-03-01 09:00", **a),
            event("u2", "sent", "2026-03-01 09:10", **a),
            event("u2", "delivered", "2026-03-01 09:11", **a),
            event("u2", "opened", "2026-03-01 09:12", is_machine=True, **a),
            event("u3", "entered", "2026-03-01 09:00", **ctl),
            event("u3", "control", "2026-03-01 09:00", **ctl),
            event("u4", "entered", "2026-03-01 09:00", **a),
            event("u4", "sent", "2026-03-01 09:10", **a),
            event("u4", "delivered", "2026-03-01 09:11", **a),
            event("u4", "opened", "2026-03-01 12:00", **a),
            event("u5", "entered", "2026-03-02 09:00", **a),
            event("u5", "sent", "2026-03-02 09:10", **a),
            event("u5", "bounced", "2026-03-02 09:11", bounce_type="hard", **a),
            event("u6", "sent", "2026-03-03 23:00", **a),  # cg's newest event
            # cn: no goal, no `delivered` event at all
            event("v1", "sent", "2026-03-02 10:00", campaign_id="cn"),
            event("v1", "opened", "2026-03-02 12:00", campaign_id="cn"),
            event("v2", "sent", "2026-03-02 10:00", campaign_id="cn"),
            event("v2", "bounced", "2026-03-02 10:05", campaign_id="cn", bounce_type="soft"),
            event("v3", "sent", "2026-03-02 10:00", campaign_id="cn"),
            event("v3", "bounced", "2026-03-02 10:05", campaign_id="cn"),  # NULL: hard
            # ci: in-app; u1 is in cg too (grouped by campaign and user, not by user)
            event("w1", "impression", "2026-03-01 10:00", campaign_id="ci"),
            event("w1", "impression", "2026-03-01 11:00", campaign_id="ci"),
            event("w1", "clicked", "2026-03-01 11:01", campaign_id="ci"),
            event("w2", "impression", "2026-03-01 12:00", campaign_id="ci"),
            event("w2", "dismissed", "2026-03-01 12:01", campaign_id="ci"),
            event("u1", "impression", "2026-03-01 13:00", campaign_id="ci"),
        ],
        conversions=[
            _conversion("u1", "purchase", "2026-03-01 20:00"),
            _conversion("u1", "purchase", "2026-03-02 08:00"),
            _conversion("u2", "purchase", "2026-03-03 10:00"),  # after 24 h
            _conversion("u3", "purchase", "2026-03-01 12:00"),  # control
            _conversion("u4", "purchase", "2026-03-01 13:00"),  # test user
            _conversion("u5", "purchase", "2026-03-03 09:10"),  # anchor + 24 h exactly
            _conversion("u6", "purchase", "2026-03-04 01:00"),  # after UTC's range end
            _conversion("w1", "signup", "2026-03-01 09:00"),  # before the anchor
            _conversion("w1", "signup", "2026-03-01 20:00"),
        ],
    )


def _summary(connection: sa.Connection, tz: str, test: bool, machine: bool) -> pl.DataFrame:
    return summary_figures(
        campaign_summary(connection, tz, exclude_test_users=test, exclude_machine=machine)
    )


def _assert_rows_equal_campaign_kpis(
    connection: sa.Connection, tz: str, test: bool, machine: bool
) -> int:
    """Compare each summary row with campaign_kpis over its default range; rows compared."""
    rows = _summary(connection, tz, test, machine)
    for row in rows.iter_rows(named=True):
        scope = default_scope(
            connection, row["campaign_id"], tz, exclude_test_users=test, exclude_machine=machine
        )
        assert (row["start"], row["end"]) == (scope.start, scope.end)
        kpis = campaign_kpis(connection, scope).model_dump()
        for key in (*SHOWN, *ALSO):
            assert row[key] == kpis[key], (row["campaign_id"], tz, test, machine, key)
    return rows.height


@pytest.mark.parametrize("tz", ZONES)
def test_every_row_equals_campaign_kpis_in_every_zone_and_flag(engine: sa.Engine, tz: str) -> None:
    _load_four_campaigns(engine)
    with engine.connect() as connection:
        for test, machine in FLAGS:
            assert _assert_rows_equal_campaign_kpis(connection, tz, test, machine) == 4


def test_the_figures_worked_out_by_hand(engine: sa.Engine) -> None:
    _load_four_campaigns(engine)
    with engine.connect() as connection:
        rows = {
            row["campaign_id"]: row for row in _summary(connection, "UTC", False, False).to_dicts()
        }
        flagged = {
            row["campaign_id"]: row for row in _summary(connection, "UTC", True, True).to_dicts()
        }
    cg, cn, ce, ci = rows["cg"], rows["cn"], rows["ce"], rows["ci"]
    # cg in UTC: 2026-03-01 (start) to 2026-03-03 (u6's send at 23:00).
    # audience: entered u1 (02:00 is in range in UTC), u2, u3, u4, u5 = 5
    # sent: u1, u2, u4, u5, u6 = 5; cg has `delivered` events: delivered = u1, u2, u4 = 3
    # recipients = users with `delivered` = 3; unique opens u1, u2 (machine), u4 = 3
    # receivers (treatment, a receipt in range) u1, u2, u4, u5, u6 = 5 (u3 is control);
    # converted: u1 (20:00, 11 h after its send), u4 (13:00), u5 (exactly anchor + 24 h,
    # inclusive) = 3; not u2 (after 24 h), not u3 (control), not u6 (03-04 is out of range)
    assert (cg["start"], cg["end"]) == (dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    assert (cg["audience_size"], cg["messages_sent"], cg["delivered"]) == (5, 5, 3)
    assert (cg["recipients"], cg["receivers"], cg["converted_users"]) == (3, 5, 3)
    assert (cg["open_rate"], cg["click_rate"], cg["ctr"]) == (1.0, 1 / 3, None)
    assert (cg["delivery_rate"], cg["conversion_rate"]) == (0.6, 0.6)
    # without u4 (test user) and u2's machine open: audience 4, sent 4, delivered u1, u2 = 2
    # (0.5), recipients 2, unique opens u1 = 1 (0.5), clicks u1 (0.5), receivers u1, u2,
    # u5, u6 = 4, converted u1, u5 = 2 (0.5)
    f = flagged["cg"]
    assert (f["audience_size"], f["messages_sent"], f["delivered"], f["recipients"]) == (4, 4, 2, 2)
    assert (f["open_rate"], f["click_rate"], f["delivery_rate"], f["conversion_rate"]) == (
        0.5,
        0.5,
        0.5,
        0.5,
    )
    # cn: no `delivered` event, so delivered = 3 sent - 1 hard (NULL) - 1 soft = 1 (1/3);
    # recipients = sent without a bounce: v1 = 1; open rate 1/1, click rate 0/1; no goal:
    # the conversion figures are null, not 0
    assert (cn["messages_sent"], cn["delivered"], cn["recipients"]) == (3, 1, 1)
    assert (cn["delivery_rate"], cn["open_rate"], cn["click_rate"]) == (1 / 3, 1.0, 0.0)
    assert (cn["receivers"], cn["converted_users"], cn["conversion_rate"]) == (None, None, None)
    # ce: no events: counts 0, every rate over 0 is null; it has a goal, so receivers is 0
    assert (ce["start"], ce["end"]) == (dt.date(2026, 3, 5), dt.date(2026, 3, 5))
    assert (ce["audience_size"], ce["messages_sent"], ce["receivers"]) == (0, 0, 0)
    assert [ce[key] for key in ("open_rate", "ctr", "delivery_rate", "conversion_rate")] == [
        None
    ] * 4
    # ci: clicks 1 / impressions 4 (w1 x2, w2, u1); receivers w1, w2, u1 = 3; w1 converts
    # at 20:00 (its 09:00 signup is before its anchor, 10:00) = 1 of 3; no sends: n/a
    assert (ci["ctr"], ci["receivers"], ci["conversion_rate"]) == (0.25, 3, 1 / 3)
    assert (ci["delivery_rate"], ci["open_rate"]) == (None, None)


def test_the_headline_rate_is_the_channels_figure(engine: sa.Engine) -> None:
    _load_four_campaigns(engine)
    with engine.connect() as connection:
        rows = with_headline(
            _summary(connection, "UTC", False, False), {"push": "open_rate", "in_app": "ctr"}
        )
    headline = dict(zip(rows["campaign_id"], rows["headline_rate"], strict=True))
    # cg push: open rate 1.0; ci in-app: ctr 0.25; cn email falls back to click rate 0.0
    assert (headline["cg"], headline["ci"], headline["cn"]) == (1.0, 0.25, 0.0)


def test_an_empty_database_gives_an_empty_summary(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert _summary(connection, "UTC", False, False).is_empty()


@pytest.mark.parametrize(
    ("tz", "test", "machine"), [("UTC", False, False), ("Asia/Kolkata", True, True)]
)
def test_on_the_default_demo_every_row_equals_campaign_kpis(
    engine: sa.Engine, tz: str, test: bool, machine: bool
) -> None:
    with engine.begin() as connection:
        build_demo(connection, events=20_000)
    with engine.connect() as connection:
        assert _assert_rows_equal_campaign_kpis(connection, tz, test, machine) == 4


def test_extra_demo_campaigns_match_campaign_kpis_and_leave_the_story_unchanged(
    engine: sa.Engine,
) -> None:
    story = generate_demo(5_000, seed=3)
    more = generate_demo(5_000, seed=3, campaigns=12)
    assert more["campaigns"].height == 12
    for name, frame in story.items():
        ids = frame.columns[0]
        kept = more[name].filter(pl.col(ids).is_in(frame[ids].implode()))
        assert kept.equals(frame), name
    assert generate_demo(5_000, seed=3, campaigns=12)["message_events"].equals(
        more["message_events"]
    )
    extra = more["message_events"].filter(pl.col("campaign_id").str.starts_with("demo_"))
    assert extra["campaign_id"].n_unique() >= 6
    with engine.begin() as connection:
        build_demo(connection, events=5_000, seed=3, campaigns=12)
    with engine.connect() as connection:
        assert _assert_rows_equal_campaign_kpis(connection, "Europe/Berlin", False, True) == 12
