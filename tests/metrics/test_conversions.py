"""Conversion figures: anchors, the inclusive window, the range, control, revenue, filters.

Campaign c1 has goal `purchase` and a 24-hour window unless a test says otherwise; the
range is March 1-10 2026 in UTC (so [03-01 00:00, 03-11 00:00)).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa

from metrics.report import conversion_report
from tests.metrics.conversion_fixtures import (
    at,
    campaign_info,
    conversion,
    event,
    load,
    scope,
)


def test_window_is_inclusive_and_conversions_must_fall_in_range(engine: sa.Engine) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        events=[
            # u1 anchors at 03-02 10:00, so its window is [03-02 10:00, 03-03 10:00].
            event("u1", "sent", at(2, 10)),
            # u2 receives on the last day of the range.
            event("u2", "sent", at(10, 12)),
            # u3 received before the range: its anchor still counts, it is no receiver.
            event("u3", "sent", at(28, 12, month=2)),
        ],
        conversion_rows=[
            conversion("u1", at(2, 9, 59), 100.0),  # before the anchor: out
            conversion("u1", at(3, 9, 59), 10.0),  # one minute inside: in
            conversion("u1", at(3, 10, 0), None),  # exactly at the window end: in
            conversion("u1", at(3, 10, 1), 100.0),  # one minute outside: out
            conversion("u2", at(11, 6), 100.0),  # inside u2's window, after the range: out
            conversion("u3", at(1, 6), 5.5),  # in u3's window and in range: in
            conversion("u1", at(3, 9), 100.0, event_name="signup"),  # another goal: out
        ],
    )
    with engine.connect() as connection:
        result = conversion_report(connection, scope(), campaign)
    kpis = result.kpis
    # receivers: u1, u2 (u3's receipt is before the range) = 2
    assert kpis["receivers"] == 2
    # conversions: u1 x2 (09:59 and 10:00 on 03-03) + u3 x1 = 3; converters u1, u3
    assert kpis["conversions"] == 3
    assert kpis["converted_users"] == 2
    assert kpis["conversion_rate"] == 1.0  # 2 / 2
    # revenue: 10.0 + NULL (0) + 5.5
    assert kpis["revenue"] == pytest.approx(15.5)
    # no clicks, impressions or opens: neither through figure; sent in range: u1, u2
    assert kpis["click_through_conversions"] == 0
    assert kpis["view_through_conversions"] == 0
    assert kpis["click_through_conversion_rate"] == 0.0
    assert kpis["control_users"] == 0
    assert kpis["control_converted_users"] == 0
    assert kpis["control_conversion_rate"] is None
    # daily: 03-01 (u3) and 03-03 (u1 x2)
    assert result.daily_conversions.to_dicts() == [
        {"date": dt.date(2026, 3, 1), "conversions": 1},
        {"date": dt.date(2026, 3, 3), "conversions": 2},
    ]


def test_control_conversions_count_for_control_not_treatment(engine: sa.Engine) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        variant_rows=[("A", False), ("B", False), ("ctl", True)],
        events=[
            # u1: control through an entered event carrying the control variant, in range
            event("u1", "entered", at(2, 8), variant_id="ctl"),
            # u2: control through a `control` event before the range (membership is any
            # time), so it is no control user in range, but its conversion is in range
            event("u2", "control", at(28, 12, month=2), variant_id="ctl"),
            # u3: treatment in variant A
            event("u3", "entered", at(2, 8), variant_id="A"),
            event("u3", "sent", at(2, 9), variant_id="A"),
            # u5: a variant the variants table does not list still gets a row
            event("u5", "sent", at(2, 9), variant_id="Z"),
        ],
        conversion_rows=[
            conversion("u1", at(2, 20), 50.0),  # control anchor 03-02 08:00: qualifies
            conversion("u2", at(1, 6), 70.0),  # control anchor 02-28 12:00: qualifies
            conversion("u3", at(2, 12), 20.0),  # treatment anchor 03-02 09:00: qualifies
        ],
    )
    with engine.connect() as connection:
        result = conversion_report(connection, scope(), campaign)
    kpis = result.kpis
    assert kpis["receivers"] == 2  # u3, u5
    assert kpis["conversions"] == 1
    assert kpis["converted_users"] == 1
    assert kpis["revenue"] == 20.0  # control revenue (50 + 70) is not campaign revenue
    assert kpis["control_users"] == 1  # u1 (u2's control event is before the range)
    assert kpis["control_converted_users"] == 2  # u1, u2
    assert kpis["control_conversion_rate"] == 2.0  # 2 / 1: partial ranges can exceed 1
    # A: u3 (receipt carrying A) converted; B: nobody; ctl: u1 (entered in range)
    # converted; Z (unlisted, after the listed ones): u5, not converted
    assert result.variants.to_dicts() == [
        {"variant_id": "A", "users": 1, "converted_users": 1},
        {"variant_id": "B", "users": 0, "converted_users": 0},
        {"variant_id": "ctl", "users": 1, "converted_users": 1},
        {"variant_id": "Z", "users": 1, "converted_users": 0},
    ]
    # control conversions are never daily treatment conversions: only u3 on 03-02
    assert result.daily_conversions.to_dicts() == [{"date": dt.date(2026, 3, 2), "conversions": 1}]


def test_daily_conversions_fall_on_local_dates(engine: sa.Engine) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        events=[event("u1", "sent", at(2, 1))],
        # 03-02 03:00 UTC is 03-01 22:00 in New York (EST, UTC-5); 03-02 12:00 is 07:00
        conversion_rows=[conversion("u1", at(2, 3)), conversion("u1", at(2, 12))],
    )
    with engine.connect() as connection:
        result = conversion_report(connection, scope(tz="America/New_York"), campaign)
    assert result.daily_conversions.to_dicts() == [
        {"date": dt.date(2026, 3, 1), "conversions": 1},
        {"date": dt.date(2026, 3, 2), "conversions": 1},
    ]


def test_exclude_test_users_drops_them_from_every_figure(engine: sa.Engine) -> None:
    campaign = campaign_info()
    load(
        engine,
        campaign,
        # u1 is a test user, u2 is not, u3 has no users row (so is not a test user),
        # u4 is a test user in the control group
        user_rows=[("u1", True), ("u2", False), ("u4", True)],
        events=[
            event("u1", "sent", at(2, 10)),
            event("u2", "sent", at(2, 10)),
            event("u3", "sent", at(2, 10)),
            event("u4", "control", at(2, 10)),
        ],
        conversion_rows=[conversion(u, at(2, 11), 1.0) for u in ("u1", "u2", "u3", "u4")],
    )
    with engine.connect() as connection:
        everyone = conversion_report(connection, scope(), campaign).kpis
        real = conversion_report(connection, scope(exclude_test_users=True), campaign).kpis
    # everyone: receivers u1-u3, converted u1-u3, control u4 converted
    assert (everyone["receivers"], everyone["converted_users"], everyone["revenue"]) == (3, 3, 3.0)
    assert (everyone["control_users"], everyone["control_converted_users"]) == (1, 1)
    # without test users: u2, u3 only, and no control group left
    assert (real["receivers"], real["converted_users"], real["revenue"]) == (2, 2, 2.0)
    assert (real["control_users"], real["control_converted_users"]) == (0, 0)
    assert real["control_conversion_rate"] is None


def test_exclude_machine_moves_anchors_and_through_conversions(engine: sa.Engine) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        events=[
            # u1: its only receipt is a machine open
            event("u1", "opened", at(2, 10), is_machine=True),
            # u2: sent, then a link scanner's click before the conversion
            event("u2", "sent", at(2, 8)),
            event("u2", "clicked", at(2, 9), is_machine=True),
            # u3: a machine open anchors it early; the real receipt is a day later
            event("u3", "opened", at(2, 10), is_machine=True),
            event("u3", "delivered", at(3, 9)),
        ],
        conversion_rows=[
            conversion("u1", at(2, 12)),
            conversion("u2", at(2, 10)),
            conversion("u3", at(4, 8)),  # > 03-03 10:00 (machine anchor), <= 03-04 09:00
        ],
    )
    with engine.connect() as connection:
        everyone = conversion_report(connection, scope(), campaign).kpis
        human = conversion_report(connection, scope(exclude_machine=True), campaign).kpis
    # all events: receivers u1-u3; converted u1 (view-through: open), u2 (click-through);
    # u3 misses its window; users with `sent` in range: u2 -> rates 1/1
    assert (everyone["receivers"], everyone["converted_users"]) == (3, 2)
    assert everyone["click_through_conversions"] == 1
    assert everyone["view_through_conversions"] == 1
    assert everyone["click_through_conversion_rate"] == 1.0
    assert everyone["view_through_conversion_rate"] == 1.0
    # machine events dropped: u1 has no receipt (no anchor); u2 converts with no click;
    # u3 anchors at 03-03 09:00 and converts
    assert (human["receivers"], human["converted_users"]) == (2, 2)
    assert human["click_through_conversions"] == 0
    assert human["view_through_conversions"] == 0


def test_variant_filter_reads_only_that_variants_events(engine: sa.Engine) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        variant_rows=[("A", False), ("B", False)],
        events=[
            event("u1", "sent", at(2, 10), variant_id="A"),
            event("u2", "sent", at(2, 10), variant_id="B"),
            # u3 got B first, then A: in A's view its anchor is 03-02 10:00
            event("u3", "sent", at(1, 10), variant_id="B"),
            event("u3", "sent", at(2, 10), variant_id="A"),
        ],
        conversion_rows=[
            conversion("u1", at(2, 12)),
            conversion("u2", at(2, 12)),
            conversion("u3", at(2, 9)),  # after the B anchor, before the A anchor
        ],
    )
    with engine.connect() as connection:
        whole = conversion_report(connection, scope(), campaign)
        only_a = conversion_report(connection, scope(variant="A"), campaign)
    assert (whole.kpis["receivers"], whole.kpis["converted_users"]) == (3, 3)
    # whole: A = u1, u3 (both converted); B = u2, u3 (both converted)
    assert whole.variants.to_dicts() == [
        {"variant_id": "A", "users": 2, "converted_users": 2},
        {"variant_id": "B", "users": 2, "converted_users": 2},
    ]
    # only A: receivers u1, u3; u3's conversion precedes its A anchor, so only u1 converts
    assert (only_a.kpis["receivers"], only_a.kpis["converted_users"]) == (2, 1)
    assert only_a.kpis["conversion_rate"] == 0.5
    assert only_a.variants.to_dicts() == [
        {"variant_id": "A", "users": 2, "converted_users": 1},
        {"variant_id": "B", "users": 0, "converted_users": 0},
    ]


def test_action_filter_anchors_on_that_actions_receipts(engine: sa.Engine) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        action_ids=["a1", "a2"],
        events=[
            event("u1", "sent", at(2, 10), action_id="a1"),
            event("u1", "sent", at(3, 10), action_id="a2"),
            event("u2", "sent", at(2, 10), action_id="a1"),
        ],
        conversion_rows=[
            # u1: 25 h after its a1 receipt (out of the window), 1 h after its a2 receipt
            conversion("u1", at(3, 11)),
            conversion("u2", at(2, 12)),
        ],
    )
    with engine.connect() as connection:
        whole = conversion_report(connection, scope(), campaign)
        only_a2 = conversion_report(connection, scope(action="a2"), campaign)
    # whole: anchors at the a1 receipts; only u2 converts, attributed to a1
    assert (whole.kpis["receivers"], whole.kpis["converted_users"]) == (2, 1)
    assert whole.actions.to_dicts() == [
        {"action_id": "a1", "received_users": 2, "attributed_conversions": 1},
        {"action_id": "a2", "received_users": 1, "attributed_conversions": 0},
    ]
    # only a2: u1 anchors at 03-03 10:00 and converts; u2 has no a2 receipt
    assert (only_a2.kpis["receivers"], only_a2.kpis["converted_users"]) == (1, 1)
    assert only_a2.actions.to_dicts() == [
        {"action_id": "a1", "received_users": 0, "attributed_conversions": 0},
        {"action_id": "a2", "received_users": 1, "attributed_conversions": 1},
    ]


def test_no_conversion_goal_makes_every_conversion_figure_none(engine: sa.Engine) -> None:
    campaign = campaign_info(goal=None)
    load(
        engine,
        campaign,
        action_ids=["a1"],
        variant_rows=[("A", False), ("ctl", True)],
        events=[
            event("u1", "sent", at(2, 10), action_id="a1", variant_id="A"),
            event("u2", "control", at(2, 10), variant_id="ctl"),
        ],
        conversion_rows=[conversion("u1", at(2, 11), 5.0)],
    )
    with engine.connect() as connection:
        result = conversion_report(connection, scope(), campaign)
    assert result.kpis["control_users"] == 1  # u2: still counted, it is a Delivery figure
    assert {key: value for key, value in result.kpis.items() if key != "control_users"} == {
        "receivers": None,
        "conversions": None,
        "converted_users": None,
        "conversion_rate": None,
        "revenue": None,
        "click_through_conversions": None,
        "view_through_conversions": None,
        "click_through_conversion_rate": None,
        "view_through_conversion_rate": None,
        "control_converted_users": None,
        "control_conversion_rate": None,
    }
    assert result.actions.to_dicts() == [
        {"action_id": "a1", "received_users": 1, "attributed_conversions": None}
    ]
    assert result.variants.to_dicts() == [
        {"variant_id": "A", "users": 1, "converted_users": None},
        {"variant_id": "ctl", "users": 1, "converted_users": None},
    ]
    assert result.daily_conversions.is_empty()
    assert result.daily_conversions.schema == pl.Schema({"date": pl.Date, "conversions": pl.Int64})


def test_empty_campaign_has_zero_counts_and_no_rates(engine: sa.Engine) -> None:
    campaign = campaign_info()
    load(engine, campaign)
    with engine.connect() as connection:
        result = conversion_report(connection, scope(), campaign)
    assert result.kpis["receivers"] == 0
    assert result.kpis["conversions"] == 0
    assert result.kpis["revenue"] == 0.0
    assert result.kpis["conversion_rate"] is None
    assert result.kpis["click_through_conversion_rate"] is None
    assert result.actions.columns == ["action_id", "received_users", "attributed_conversions"]
    assert result.variants.columns == ["variant_id", "users", "converted_users"]
