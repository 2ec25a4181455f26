"""Attribution to actions and click-/view-through conversions.

Campaign c1, goal `purchase`, 24-hour window, range March 1-10 2026 UTC, actions a1-a3.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa

from metrics.attribution import attributed_conversions, through_conversions
from metrics.report import conversion_report
from tests.metrics.conversion_fixtures import at, campaign_info, conversion, event, load, scope


def test_conversions_go_to_last_interaction_else_last_receipt(engine: sa.Engine) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        action_ids=["a1", "a2", "a3"],
        events=[
            # u1: receipts only; the last one (a2) wins
            event("u1", "sent", at(2, 10), action_id="a1"),
            event("u1", "delivered", at(2, 10, 5), action_id="a2"),
            # u2: an open of a1 beats a later bare receipt of a2
            event("u2", "sent", at(2, 10), action_id="a1"),
            event("u2", "opened", at(2, 11), action_id="a1"),
            event("u2", "delivered", at(2, 11, 30), action_id="a2"),
            # u3: its click has no action_id, so it is no candidate: back to the a2 receipt
            event("u3", "sent", at(2, 10), action_id="a2"),
            event("u3", "clicked", at(2, 11)),
            # u4: its only receipt before the conversion is before the range; its a3 open
            # comes after the conversion: attributed to nothing
            event("u4", "sent", at(28, 23, month=2), action_id="a1"),
            event("u4", "opened", at(1, 6), action_id="a3"),
            # u5: an open after the conversion does not count; the a1 receipt does.
            # a9 is not in the actions table: it still gets a row
            event("u5", "sent", at(2, 10), action_id="a1"),
            event("u5", "opened", at(2, 13), action_id="a3"),
            event("u5", "impression", at(3, 10), action_id="a9"),
        ],
        conversion_rows=[
            conversion("u1", at(2, 12)),
            conversion("u2", at(2, 12)),
            conversion("u3", at(2, 12)),
            conversion("u4", at(1, 5)),
            conversion("u5", at(2, 12)),
        ],
    )
    with engine.connect() as connection:
        result = conversion_report(connection, scope(), campaign)
    assert result.kpis["conversions"] == 5
    # attributed: a1 <- u2, u5; a2 <- u1, u3; a3 none; u4 unattributed (4 of 5)
    # received in range: a1 u1, u2, u5 (u4's a1 receipt is before the range);
    # a2 u1, u2, u3; a3 u4, u5; a9 u5
    assert result.actions.to_dicts() == [
        {"action_id": "a1", "received_users": 3, "attributed_conversions": 2},
        {"action_id": "a2", "received_users": 3, "attributed_conversions": 2},
        {"action_id": "a3", "received_users": 2, "attributed_conversions": 0},
        {"action_id": "a9", "received_users": 1, "attributed_conversions": 0},
    ]


def test_control_conversions_are_never_attributed(engine: sa.Engine) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        action_ids=["a1"],
        events=[
            # a control user who (wrongly) also has an a1 receipt: still control
            event("u1", "control", at(2, 9)),
            event("u1", "sent", at(2, 10), action_id="a1"),
        ],
        conversion_rows=[conversion("u1", at(2, 12))],
    )
    with engine.connect() as connection:
        result = conversion_report(connection, scope(), campaign)
    assert result.kpis["control_converted_users"] == 1
    assert result.kpis["conversions"] == 0
    assert result.actions["attributed_conversions"].to_list() == [0]


def test_click_before_first_conversion_is_click_through_view_alone_is_view_through(
    engine: sa.Engine,
) -> None:
    campaign = campaign_info(window_hours=24)
    load(
        engine,
        campaign,
        events=[
            # u1: impression, then click, then conversion: click-through
            event("u1", "sent", at(2, 9)),
            event("u1", "impression", at(2, 10)),
            event("u1", "clicked", at(2, 10, 5)),
            # u2: impression, conversion, and only then a click: view-through
            event("u2", "sent", at(2, 9)),
            event("u2", "impression", at(2, 10)),
            event("u2", "clicked", at(2, 12)),
            # u3: sent only: neither
            event("u3", "sent", at(2, 10)),
            # u4: sent, never converts (still in the denominator)
            event("u4", "sent", at(2, 10)),
            # u5: opened before its first conversion, clicked before its second:
            # the first conversion decides, so view-through
            event("u5", "sent", at(2, 9)),
            event("u5", "opened", at(2, 10)),
            event("u5", "clicked", at(2, 13)),
            # u6: clicked before the range (anchor, but not a click-through event), then
            # an impression in range before converting: view-through
            event("u6", "clicked", at(28, 20, month=2)),
            event("u6", "impression", at(1, 1)),
        ],
        conversion_rows=[
            conversion("u1", at(2, 11)),
            conversion("u2", at(2, 11)),
            conversion("u3", at(2, 11)),
            conversion("u5", at(2, 11)),
            conversion("u5", at(2, 14)),
            conversion("u6", at(1, 2)),
        ],
    )
    with engine.connect() as connection:
        kpis = conversion_report(connection, scope(), campaign).kpis
    assert kpis["converted_users"] == 5  # u1, u2, u3, u5, u6
    assert kpis["click_through_conversions"] == 1  # u1
    assert kpis["view_through_conversions"] == 3  # u2, u5, u6
    # users with a `sent` event in range: u1-u5 = 5
    assert kpis["click_through_conversion_rate"] == 1 / 5
    assert kpis["view_through_conversion_rate"] == 3 / 5


def test_through_conversions_look_only_at_each_users_first_conversion() -> None:
    rows = pl.DataFrame(
        {
            "conversion_id": ["k2", "k1", "k3", "k4"],
            "user_id": ["u1", "u1", "u2", "u3"],
            "occurred_at": [
                dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC),
            ],
            "is_control": [False, False, False, True],
            "action_id": ["a1", None, "a2", "a1"],
            "clicked_before": [True, False, True, True],
            "viewed_before": [True, True, False, True],
        }
    )
    # u1's first conversion is k1 (11:00): viewed, not clicked -> view-through;
    # u2 clicked -> click-through; u3 is control -> ignored
    assert through_conversions(rows) == (1, 1)
    # attributed: k2 -> a1, k3 -> a2; k1 has no action, k4 is control
    assert attributed_conversions(rows).to_dicts() == [
        {"action_id": "a1", "attributed_conversions": 1},
        {"action_id": "a2", "attributed_conversions": 1},
    ]
