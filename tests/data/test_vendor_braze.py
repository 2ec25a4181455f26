"""Braze Currents events become canonical rows as ../shared/vendor-imports.md says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from data.ingest.vendors._rows import Conversion, MessageEvent, Reject, Session, Skip, micros_of
from data.ingest.vendors.braze import map_record
from metrics.report import build_report, default_scope
from tests.data.vendor_support import UTC, counts, import_export, rows, write_export

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECONDS = int(T0.timestamp())


def _event(event_type: str, properties: dict[str, Any] | None = None, **extra: Any) -> dict:
    """A Currents event of campaign c1 (variation v1, dispatch d1) for user u1 at 09:00."""
    record: dict[str, Any] = {
        "event_type": event_type,
        "id": f"id-{event_type}",
        "time": SECONDS,
        "user": {"user_id": "u1", "external_user_id": "ext-1"},
        "properties": {
            "campaign_id": "c1",
            "campaign_name": "Spring sale",
            "message_variation_id": "v1",
            "dispatch_id": "d1",
            "platform": "iOS",
            "device_model": "iPhone 15",
            **(properties or {}),
        },
    }
    record.update(extra)
    return record


def _mapped(record: dict) -> MessageEvent:
    mapped = map_record(record)
    assert isinstance(mapped, MessageEvent), mapped
    return mapped


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("users.messages.pushnotification.Send", ("sent", "push", None)),
        ("users.messages.email.Send", ("sent", "email", None)),
        ("users.messages.contentcard.Send", ("sent", "in_app", None)),
        ("users.messages.email.Delivery", ("delivered", "email", None)),
        ("users.messages.pushnotification.Open", ("opened", "push", None)),
        ("users.messages.email.Open", ("opened", "email", None)),
        ("users.messages.email.Click", ("clicked", "email", None)),
        ("users.messages.inappmessage.Impression", ("impression", "in_app", None)),
        ("users.messages.contentcard.Impression", ("impression", "in_app", None)),
        ("users.messages.banner.Impression", ("impression", "in_app", None)),
        ("users.messages.inappmessage.Click", ("clicked", "in_app", None)),
        ("users.messages.contentcard.Click", ("clicked", "in_app", None)),
        ("users.messages.banner.Click", ("clicked", "in_app", None)),
        ("users.messages.contentcard.Dismiss", ("dismissed", "in_app", None)),
        ("users.messages.banner.Dismiss", ("dismissed", "in_app", None)),
        ("users.messages.pushnotification.Bounce", ("bounced", "push", "hard")),
        ("users.messages.email.Bounce", ("bounced", "email", "hard")),
        ("users.messages.email.SoftBounce", ("bounced", "email", "soft")),
        ("users.messages.email.Unsubscribe", ("unsubscribed", "email", None)),
        ("users.messages.email.MarkAsSpam", ("complained", "email", None)),
        ("users.messages.pushnotification.IosForeground", ("received", "push", None)),
    ],
)
def test_each_message_event_type_becomes_its_canonical_row(
    event_type: str, expected: tuple
) -> None:
    event = _mapped(_event(event_type))
    assert (event.event_type, event.channel, event.bounce_type) == expected
    assert (event.event_id, event.user_id, event.occurred_at) == (
        f"id-{event_type}",
        "u1",
        micros_of(T0),
    )
    # A campaign's variation is the variant, its dispatch the run.
    assert (event.campaign_id, event.campaign_name, event.variant_id, event.run_id) == (
        "c1",
        "Spring sale",
        "v1",
        "d1",
    )
    assert (event.platform, event.device_model, event.action_id) == ("ios", "iPhone 15", None)


def test_an_abort_is_a_failure_whose_code_is_the_abort_type() -> None:
    event = _mapped(_event("users.messages.pushnotification.Abort", {"abort_type": "rate_limit"}))
    assert (event.event_type, event.error_code) == ("failed", "rate_limit")


def test_canvas_ids_map_to_campaign_variant_and_action() -> None:
    properties = {
        "campaign_id": None,
        "message_variation_id": None,
        "dispatch_id": "d9",
        "canvas_id": "cv1",
        "canvas_name": "Onboarding",
        "canvas_variation_id": "cvv1",
        "canvas_variation_name": "Variant 1",
        "canvas_step_id": "step1",
        "canvas_step_name": "Welcome push",
    }
    event = _mapped(_event("users.messages.pushnotification.Send", properties))
    assert (event.campaign_id, event.campaign_name, event.variant_id, event.variant_name) == (
        "cv1",
        "Onboarding",
        "cvv1",
        "Variant 1",
    )
    assert (event.action_id, event.action_name, event.run_id) == ("step1", "Welcome push", None)
    # Canvas emits its own entries: none is derived.
    assert event.derive_entry is False


def test_enroll_in_control_and_a_canvas_entry_in_control_make_control_users() -> None:
    enrolled = _mapped(_event("users.campaigns.EnrollInControl", {"message_variation_id": "ctl"}))
    assert (enrolled.event_type, enrolled.variant_id, enrolled.control) == ("control", "ctl", True)
    canvas = {"campaign_id": None, "canvas_id": "cv1", "canvas_variation_id": "cvc"}
    entry = _mapped(_event("users.canvas.Entry", canvas | {"in_control_group": True}))
    assert (entry.event_type, entry.campaign_id, entry.variant_id, entry.control) == (
        "entered",
        "cv1",
        "cvc",
        True,
    )
    treated = _mapped(_event("users.canvas.Entry", canvas | {"in_control_group": False}))
    assert (treated.event_type, treated.control) == ("entered", False)


def test_a_bot_click_and_a_machine_open_are_flagged_machine() -> None:
    opened = _mapped(_event("users.messages.email.Open", {"machine_open": "true"}))
    human = _mapped(_event("users.messages.email.Open", {"machine_open": None}))
    click = _mapped(
        _event(
            "users.messages.email.Click",
            {"url": "https://shop.example/", "is_suspected_bot_click": True},
        )
    )
    assert (opened.is_machine, human.is_machine) == (True, False)
    assert (click.is_machine, click.link_url) == (True, "https://shop.example/")


@pytest.mark.parametrize(
    ("event_type", "reason"),
    [
        ("users.messages.pushnotification.Retry", "interim attempt"),
        ("users.messages.email.Deferral", "interim attempt"),
        ("users.messages.sms.Send", "the sms channel is not modelled"),
        ("users.messages.webhook.Send", "the webhook channel is not modelled"),
        ("users.messages.email.Teleport", "not modelled"),
        ("users.behaviors.Uninstall", "not modelled"),
    ],
)
def test_interim_other_channel_and_unknown_events_are_skipped(event_type: str, reason: str) -> None:
    mapped = map_record(_event(event_type))
    assert isinstance(mapped, Skip) and reason in mapped.reason


def test_a_message_with_no_campaign_or_canvas_is_skipped_as_transactional() -> None:
    record = _event("users.messages.email.Send", {"campaign_id": None})
    assert map_record(record) == Skip("transactional: no campaign_id or canvas_id")


def test_sessions_purchases_and_custom_events_are_their_rows() -> None:
    session = map_record(
        _event("users.behaviors.app.SessionEnd", {"session_id": "s1", "duration": 30})
    )
    assert session == Session("s1", "u1", micros_of(T0) - 30_000_000, 30.0, "ios", "iPhone 15")
    purchase = map_record(_event("users.behaviors.Purchase", {"price": 19.99}))
    assert isinstance(purchase, Conversion)
    assert (purchase.conversion_id, purchase.event_name, purchase.revenue) == (
        "id-users.behaviors.Purchase",
        "purchase",
        19.99,
    )
    custom = map_record(_event("users.behaviors.CustomEvent", {"name": "added_to_cart"}))
    assert isinstance(custom, Conversion) and custom.event_name == "added_to_cart"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "no id"),
        ({"user": {"external_user_id": "ext-1"}}, "no user.user_id"),
        ({"time": "noon"}, "bad timestamp: time = 'noon'"),
    ],
)
def test_an_event_missing_its_id_user_or_time_is_rejected(change: dict, reason: str) -> None:
    assert map_record(_event("users.messages.email.Send") | change) == Reject(reason)


def _export() -> list[Any]:
    """Two campaigns, worked out by hand in the test below.

    c_push (dispatch d1): u1 (variation A) sent and opened, u2 (A) sent and bounced,
    u3 (B) sent, u4 enrolled in control (variation CTL). u1 and u4 purchase.
    cv_welcome (Canvas, step s1): u5 enters (variation X) and is sent an email that is
    delivered and opened by a machine; u6 enters in control (variation XC).
    Plus an SMS send (skipped) and an event with no user (rejected).
    """

    def event(n: int, event_type: str, user: str, minutes: int, **properties: Any) -> dict:
        return {
            "event_type": event_type,
            "id": f"e{n}",
            "time": SECONDS + 60 * minutes,
            "user": {"user_id": user},
            "properties": properties,
        }

    push = {"campaign_id": "c_push", "campaign_name": "Spring push", "dispatch_id": "d1"}
    canvas = {"canvas_id": "cv_welcome", "canvas_name": "Welcome", "canvas_step_id": "s1"}
    batch = {
        "events": [
            event(
                1, "users.messages.pushnotification.Send", "u1", 0, message_variation_id="A", **push
            ),
            event(
                2, "users.messages.pushnotification.Open", "u1", 5, message_variation_id="A", **push
            ),
            event(
                3, "users.messages.pushnotification.Send", "u2", 0, message_variation_id="A", **push
            ),
            event(
                4,
                "users.messages.pushnotification.Bounce",
                "u2",
                1,
                message_variation_id="A",
                **push,
            ),
            event(
                5, "users.messages.pushnotification.Send", "u3", 0, message_variation_id="B", **push
            ),
        ]
    }
    return [
        batch,
        event(6, "users.campaigns.EnrollInControl", "u4", 0, message_variation_id="CTL", **push),
        event(7, "users.behaviors.Purchase", "u1", 60, price=10.0),
        event(8, "users.behaviors.Purchase", "u4", 90, price=5.0),
        event(
            9,
            "users.canvas.Entry",
            "u5",
            0,
            canvas_variation_id="X",
            in_control_group=False,
            **canvas,
        ),
        event(10, "users.messages.email.Send", "u5", 1, canvas_variation_id="X", **canvas),
        event(11, "users.messages.email.Delivery", "u5", 2, canvas_variation_id="X", **canvas),
        event(
            12,
            "users.messages.email.Open",
            "u5",
            3,
            canvas_variation_id="X",
            machine_open=True,
            **canvas,
        ),
        event(
            13,
            "users.canvas.Entry",
            "u6",
            0,
            canvas_variation_id="XC",
            in_control_group=True,
            **canvas,
        ),
        event(14, "users.messages.sms.Send", "u1", 0, **push),
        {
            "event_type": "users.messages.pushnotification.Send",
            "id": "e15",
            "time": SECONDS,
            "properties": push,
        },
    ]


def test_a_braze_export_of_a_campaign_and_a_canvas_reports_variants_and_control(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = write_export(tmp_path / "currents.json", _export())
    [result] = import_export(engine, [path], "braze", conversion_event="purchase")
    # 15 read: the 5 of the batch line and 10 more; 13 load, the SMS send is skipped and
    # e15 (no user) rejected. Entered rows: u1, u2, u3, u4 of c_push (dispatch d1); the
    # Canvas has its own.
    assert counts(result) == (15, 13, 0, 1, 1, 4)
    with engine.connect() as connection:
        push = build_report(connection, default_scope(connection, "c_push"))
        canvas = build_report(connection, default_scope(connection, "cv_welcome"))
    assert (push.campaign.name, push.campaign.channel) == ("Spring push", "push")
    kpis = push.kpis
    assert (kpis.entries, kpis.messages_sent, kpis.hard_bounces, kpis.delivered, kpis.opens) == (
        4,
        3,
        1,
        2,
        1,
    )
    # Treatment receivers u1, u2, u3: u1 converts; control u4 converts too.
    assert (kpis.receivers, kpis.converted_users, kpis.revenue) == (3, 1, 10.0)
    assert (kpis.control_users, kpis.control_converted_users) == (1, 1)
    # The control group is the baseline, listed first.
    assert [(v.variant_id, v.is_control, v.users) for v in push.variants] == [
        ("CTL", True, 1),
        ("A", False, 2),
        ("B", False, 1),
    ]
    assert (canvas.campaign.name, canvas.campaign.channel) == ("Welcome", "email")
    kpis = canvas.kpis
    assert (kpis.entries, kpis.messages_sent, kpis.delivered, kpis.opens, kpis.control_users) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert [(v.variant_id, v.is_control) for v in canvas.variants] == [("XC", True), ("X", False)]
    assert [(action.action_id, action.name) for action in canvas.actions] == [("s1", "s1")]
    machine = [
        row["is_machine"] for row in rows(engine, "message_events") if row["event_id"] == "e12"
    ]
    assert machine == [True]
