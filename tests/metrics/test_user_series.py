"""Explore's user figures over time (issue 10, item 13): users, engaged users, the open and
conversion rates and revenue per bucket, each bucket counting its own users; by hand."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from data.scope import Scope
from data.vocabulary import SplitColumn
from metrics.explore_data import explore_series
from tests.metrics.builders import campaign_row, event, load

DAY1, DAY2 = dt.date(2026, 3, 1), dt.date(2026, 3, 2)


def _load(engine: sa.Engine) -> None:
    purchase = {"event_name": "purchase"}
    load(
        engine,
        campaigns=[campaign_row(conversion_event="purchase")],
        events=[
            # day 1: u1 u2 u3 enter and are delivered; u1 opens twice, u2 clicks
            event("u1", "entered", "2026-03-01 08:00"),
            event("u2", "entered", "2026-03-01 08:00"),
            event("u3", "entered", "2026-03-01 08:00"),
            event("u1", "delivered", "2026-03-01 09:00", action_id="a1"),
            event("u2", "delivered", "2026-03-01 09:00", action_id="a1"),
            event("u3", "delivered", "2026-03-01 09:00", action_id="a1"),
            event("u1", "opened", "2026-03-01 10:00", action_id="a1"),
            event("u1", "opened", "2026-03-01 11:00", action_id="a1"),
            event("u2", "clicked", "2026-03-01 10:00", action_id="a1"),
            # day 2: u1 comes back and opens again; u4 enters, is delivered, never opens
            event("u1", "delivered", "2026-03-02 09:00", action_id="a2"),
            event("u1", "opened", "2026-03-02 10:00", action_id="a2"),
            event("u4", "entered", "2026-03-02 08:00"),
            event("u4", "delivered", "2026-03-02 09:00", action_id="a2"),
        ],
        conversions=[
            {"conversion_id": "k1", "user_id": "u2", "occurred_at": "2026-03-01 12:00"}
            | purchase
            | {"revenue": 20.0},
            {"conversion_id": "k2", "user_id": "u1", "occurred_at": "2026-03-02 12:00"}
            | purchase
            | {"revenue": 5.0},
            {"conversion_id": "k3", "user_id": "u1", "occurred_at": "2026-03-02 13:00"}
            | purchase
            | {"revenue": None},
        ],
    )


def _values(
    engine: sa.Engine, figure: str, split: SplitColumn | None = None
) -> dict[object, object]:
    scope = Scope(campaign_id="c1", start=DAY1, end=DAY2)
    with engine.connect() as connection:
        frame = explore_series(connection, scope, figure, split, "day")
    if split is None:
        return {row["date"]: row["value"] for row in frame.iter_rows(named=True)}
    return {(row["date"], row["split"]): row["value"] for row in frame.iter_rows(named=True)}


def test_each_bucket_counts_its_own_users(engine: sa.Engine) -> None:
    _load(engine)
    assert _values(engine, "audience_size") == {DAY1: 3, DAY2: 1}  # u1-u3, then u4
    assert _values(engine, "engaged_users") == {DAY1: 2, DAY2: 1}  # u1 u2, then u1 again
    # day 1: 1 opener (u1) of 3 recipients; day 2: u1 of 2 recipients (u1, u4)
    assert _values(engine, "open_rate") == {DAY1: 1 / 3, DAY2: 1 / 2}


def test_conversion_rate_and_revenue_per_bucket_of_the_conversion(engine: sa.Engine) -> None:
    _load(engine)
    # day 1: u2 converts of 3 receivers; day 2: u1 converts (twice, one user) of 2 receivers
    assert _values(engine, "conversion_rate") == {DAY1: 1 / 3, DAY2: 1 / 2}
    # a conversion without revenue counts 0
    assert _values(engine, "revenue") == {DAY1: 20.0, DAY2: 5.0}
    # split by action, as the action cards attribute them: u2's click on a1, u1's open of a2
    by_action = _values(engine, "revenue", "action_id")
    assert {key: value for key, value in by_action.items() if value} == {
        (DAY1, "a1"): 20.0,
        (DAY2, "a2"): 5.0,
    }
    # a conversion carries no variant: n/a, not 0
    by_variant = _values(engine, "conversion_rate", "variant_id")
    assert set(by_variant.values()) == {None}
