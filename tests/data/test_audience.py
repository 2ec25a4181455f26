"""Segment exports: exactly the users a re-targeting campaign should reach."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
import sqlalchemy as sa

from data.queries.audience import iter_segment_user_ids, segment_query, write_segment_csv
from data.schema import message_events, users
from data.scope import Scope
from metrics.report import build_report
from tests.metrics.builders import campaign_row, event, load
from tests.support.scopes import ScopeRange

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


# ---------------------------------------------------------------------------------------
# The files hold what the buttons count: the Audience page labels "Users in campaign" with
# the report's audience_size and "Users in action" with the action row's received_users.


def _campaign_of_eight_users(engine: sa.Engine) -> None:
    """Campaign c1 (started 2026-02-27), variants A, B and the control ctl, actions a1, a2.

    The range read below is 2026-03-01..03-02 (UTC), i.e. [03-01 00:00, 03-03 00:00).
    """
    ab = {"campaign_id": "c1", "is_control": False, "allocation": 0.4}
    variants = [
        ab | {"variant_id": "A", "name": "A"},
        ab | {"variant_id": "B", "name": "B"},
        {"campaign_id": "c1", "variant_id": "ctl", "name": "ctl", "is_control": True},
    ]
    actions = [
        {"campaign_id": "c1", "action_id": a, "name": a, "channel": "push", "position": n}
        for n, a in enumerate(["a1", "a2"], start=1)
    ]
    events = [
        event("u1", "entered", "2026-03-01 08:00", variant_id="A"),
        event("u1", "sent", "2026-03-01 09:00", variant_id="A", action_id="a1"),
        event("u1", "opened", "2026-03-01 10:00", variant_id="A", action_id="a1"),
        # u2 is a test user
        event("u2", "entered", "2026-03-01 08:00", variant_id="A"),
        event("u2", "sent", "2026-03-01 09:00", variant_id="A", action_id="a1"),
        event("u2", "sent", "2026-03-02 09:00", variant_id="A", action_id="a2"),
        # u3's only receipt of a2 is an automated open
        event("u3", "entered", "2026-03-01 08:00", variant_id="B"),
        event("u3", "opened", "2026-03-01 11:00", variant_id="B", action_id="a2", is_machine=True),
        # u4's only receipt of a1 is an automated open
        event("u4", "entered", "2026-03-01 08:00", variant_id="B"),
        event("u4", "opened", "2026-03-01 12:00", variant_id="B", action_id="a1", is_machine=True),
        # u5 is in the control group: no receipt, no action
        event("u5", "entered", "2026-03-01 08:00", variant_id="ctl"),
        event("u5", "control", "2026-03-01 08:00", variant_id="ctl"),
        # u6 entered before the range, received a1 inside it
        event("u6", "entered", "2026-02-28 08:00", variant_id="A"),
        event("u6", "sent", "2026-03-01 09:00", variant_id="A", action_id="a1"),
        # u7 received a2 only after the range
        event("u7", "sent", "2026-03-03 09:00", variant_id="A", action_id="a2"),
        # u8's a1 send bounced: a bounce is no receipt
        event("u8", "entered", "2026-03-01 08:00", variant_id="A"),
        event("u8", "bounced", "2026-03-01 09:00", variant_id="A", action_id="a1"),
    ]
    load(
        engine,
        campaigns=[campaign_row(started_at="2026-02-27 00:00")],
        variants=variants,
        actions=actions,
        users=[{"user_id": "u2", "is_test": True}, {"user_id": "u1", "is_test": False}],
        events=events,
    )


RANGE: ScopeRange = {"campaign_id": "c1", "start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 2)}


def _segment(connection: sa.Connection, scope: Scope, action_id: str | None = None) -> list[str]:
    """The ids of the downloaded file (header dropped), as the Audience page writes it."""
    out = io.StringIO()
    write_segment_csv(connection, segment_query(scope, action_id=action_id), out)
    return out.getvalue().splitlines()[1:]


def test_under_an_action_drill_down_users_in_campaign_are_the_actions_receivers(
    engine: sa.Engine,
) -> None:
    _campaign_of_eight_users(engine)
    with engine.connect() as connection:
        whole = Scope(**RANGE)
        # entered in range: u1, u2, u3, u4, u5, u8 (u6 entered before it, u7 never)
        assert _segment(connection, whole) == ["u1", "u2", "u3", "u4", "u5", "u8"]
        drill = Scope(**RANGE, action="a1")
        # in-range receipts of a1: u1 (sent, opened), u2 (sent), u4 (automated open),
        # u6 (sent); u8's bounce is no receipt. No `entered` event carries an action, so
        # the drill-down's users of C are these (the report's audience_size too).
        assert _segment(connection, drill) == ["u1", "u2", "u4", "u6"]
        assert build_report(connection, drill).kpis.audience_size == 4
        # without the test user u2 and the automated open of u4: u1, u6
        strict = drill.model_copy(update={"exclude_test_users": True, "exclude_machine": True})
        assert _segment(connection, strict) == ["u1", "u6"]
        # a2: u2 (sent 03-02) and u3 (automated open); u7's send is after the range.
        # Read through a1, nobody received a2.
        assert _segment(connection, whole, "a2") == ["u2", "u3"]
        assert _segment(connection, drill, "a2") == []


@pytest.mark.parametrize("machine", [False, True], ids=["automated-kept", "automated-dropped"])
@pytest.mark.parametrize("test", [False, True], ids=["test-users-kept", "test-users-dropped"])
def test_every_segment_file_holds_exactly_the_users_its_button_counts(
    engine: sa.Engine, test: bool, machine: bool
) -> None:
    _campaign_of_eight_users(engine)
    with engine.connect() as connection:
        for variant, action in itertools.product([None, "A", "B", "ctl"], [None, "a1", "a2"]):
            scope = Scope(
                **RANGE,
                variant=variant,
                action=action,
                exclude_test_users=test,
                exclude_machine=machine,
            )
            report = build_report(connection, scope)
            label = f"variant={variant} action={action}"
            assert len(_segment(connection, scope)) == report.kpis.audience_size, label
            for row in report.actions:
                ids = _segment(connection, scope, row.action_id)
                assert len(ids) == row.received_users, f"{label} users in {row.action_id}"
