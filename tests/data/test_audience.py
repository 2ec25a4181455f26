"""Segment exports: exactly the users a re-targeting campaign should reach."""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from data.audience import iter_segment_user_ids, segment_query, write_segment_csv
from data.schema import message_events, users
from data.scope import Scope

T0 = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
SCOPE = Scope(campaign_id="c1", start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 3))
"""[2026-11-02 00:00, 2026-11-04 00:00) UTC."""


def _event(event_id: str, user: str, kind: str, hours: float = 0, **extra: object) -> dict:
    row = {
        "event_id": event_id,
        "campaign_id": "c1",
        "user_id": user,
        "event_type": kind,
        "occurred_at": T0 + dt.timedelta(hours=hours),
        "action_id": None,
        "variant_id": None,
    }
    row.update(extra)
    return row


def _load(engine: sa.Engine) -> None:
    rows = [
        _event("e1", "u3", "entered", variant_id="A"),
        _event("e2", "u1", "entered", variant_id="B"),
        _event("e3", "u1", "entered", hours=1, variant_id="B"),  # twice: one row in the file
        _event("e4", "u2", "entered", hours=100),  # after the range end
        _event("e5", "tester", "entered", variant_id="A"),
        _event("e6", "u1", "sent", action_id="teaser"),
        _event("e7", "u3", "opened", action_id="teaser"),
        _event("e8", "u2", "sent", action_id="reminder"),
        _event("e9", "u4", "bounced", action_id="teaser"),  # not a receipt event
        _event("e10", "u5", "entered", campaign_id="c2"),  # another campaign
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(message_events), rows)
        connection.execute(
            sa.insert(users),
            [
                {"user_id": "tester", "is_test": True},
                {"user_id": "u1", "is_test": False},
            ],
        )


def _ids(engine: sa.Engine, query: sa.Select) -> list[str]:
    with engine.connect() as connection:
        return list(iter_segment_user_ids(connection, query, batch_size=2))


def test_users_in_campaign_are_the_distinct_users_who_entered_in_range(engine: sa.Engine) -> None:
    _load(engine)
    # u1 (twice), u3, tester entered in range; u2 entered after it; u5 is another campaign
    assert _ids(engine, segment_query(SCOPE)) == ["tester", "u1", "u3"]


def test_excluding_test_users_drops_them_but_keeps_users_without_a_profile(
    engine: sa.Engine,
) -> None:
    _load(engine)
    query = segment_query(SCOPE.model_copy(update={"exclude_test_users": True}))
    # u3 has no users row: not a test user
    assert _ids(engine, query) == ["u1", "u3"]


def test_users_in_action_are_those_who_received_it(engine: sa.Engine) -> None:
    _load(engine)
    # teaser: u1 sent, u3 opened; u4 only bounced, which is no receipt
    assert _ids(engine, segment_query(SCOPE, action_id="teaser")) == ["u1", "u3"]


def test_variant_filter_keeps_only_that_variants_users(engine: sa.Engine) -> None:
    _load(engine)
    only_a = SCOPE.model_copy(update={"variant": "A"})
    assert _ids(engine, segment_query(only_a)) == ["tester", "u3"]


def test_segment_csv_has_a_header_and_one_row_per_user(engine: sa.Engine) -> None:
    _load(engine)
    out = io.StringIO()
    with engine.connect() as connection:
        written = write_segment_csv(connection, segment_query(SCOPE), out, batch_size=1)
    assert written == 3
    assert out.getvalue() == "user_id\ntester\nu1\nu3\n"
