"""Amazon Pinpoint's event stream becomes canonical rows as ../shared/vendor-imports.md says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from data.ingest.vendors._rows import Conversion, MessageEvent, Reject, Session, Skip, micros_of
from data.ingest.vendors.pinpoint import map_record
from metrics.report import build_report, default_scope
from tests.data.vendor_support import UTC, counts, import_export, ms, rows, write_export

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _record(event_type: str, attributes: dict[str, Any] | None = None, **extra: Any) -> dict:
    """A Pinpoint record of campaign c1 for endpoint u1 (event 09:00, arrival 09:05)."""
    record: dict[str, Any] = {
        "event_type": event_type,
        "event_timestamp": ms(T0),
        "arrival_timestamp": ms(T0 + dt.timedelta(minutes=5)),
        "event_version": "3.1",
        "application": {"app_id": "app"},
        "client": {"client_id": "u1"},
        "device": {"platform": {"name": "iOS"}, "model": "iPhone15,2"},
        "attributes": {
            "campaign_id": "c1",
            "treatment_id": "0",
            "campaign_activity_id": "run1",
            **(attributes or {}),
        },
    }
    record.update(extra)
    return record


def _event(record: dict) -> MessageEvent:
    mapped = map_record(record)
    assert isinstance(mapped, MessageEvent), mapped
    return mapped


@pytest.mark.parametrize(
    ("event_type", "attributes", "expected"),
    [
        ("_campaign.send", {"campaign_send_status": "SUCCESS"}, ("sent", "push", None, None)),
        (
            "_campaign.send",
            {"campaign_send_status": "THROTTLED"},
            ("failed", "push", None, "THROTTLED"),
        ),
        ("_journey.send", {"journey_send_status": "SUCCESS"}, ("sent", "push", None, None)),
        ("_campaign.opened_notification", {}, ("opened", "push", None, None)),
        ("_campaign.received_foreground", {}, ("received", "push", None, None)),
        ("_campaign.received_background", {}, ("received", "push", None, None)),
        ("_inapp.message_displayed", {}, ("impression", "in_app", None, None)),
        ("_inapp.message_clicked", {}, ("clicked", "in_app", None, None)),
        ("_inapp.message_dismissed", {}, ("dismissed", "in_app", None, None)),
        ("_email.send", {}, ("sent", "email", None, None)),
        ("_email.delivered", {}, ("delivered", "email", None, None)),
        ("_email.open", {}, ("opened", "email", None, None)),
        ("_email.hardbounce", {}, ("bounced", "email", "hard", None)),
        ("_email.softbounce", {}, ("bounced", "email", "soft", None)),
        ("_email.complaint", {}, ("complained", "email", None, None)),
        ("_email.unsubscribe", {}, ("unsubscribed", "email", None, None)),
        ("_email.rejected", {}, ("failed", "email", None, "Rejected")),
        ("_email.rendering_failure", {}, ("failed", "email", None, "RenderingFailure")),
        ("_SMS.BUFFERED", {}, ("sent", "sms", None, None)),
        ("_SMS.SUCCESS", {}, ("delivered", "sms", None, None)),
        ("_SMS.FAILURE", {"record_status": "UNREACHABLE"}, ("failed", "sms", None, "UNREACHABLE")),
        ("_SMS.OPTOUT", {}, ("unsubscribed", "sms", None, None)),
    ],
)
def test_each_message_event_type_becomes_its_canonical_row(
    event_type: str, attributes: dict, expected: tuple
) -> None:
    event = _event(_record(event_type, attributes))
    assert (event.event_type, event.channel, event.bounce_type, event.error_code) == expected
    # Ids and device, whatever the type: campaign, treatment, activity, endpoint.
    assert (event.campaign_id, event.variant_id, event.run_id, event.user_id) == (
        "c1",
        "0",
        "run1",
        "u1",
    )
    assert (event.platform, event.device_model, event.is_machine) == ("ios", "iPhone15,2", False)
    assert event.event_id.startswith("pinpoint:") and len(event.event_id) == 9 + 32


def test_email_open_and_click_take_the_arrival_time_and_push_the_event_time() -> None:
    arrival = micros_of(T0 + dt.timedelta(minutes=5))
    assert _event(_record("_email.open")).occurred_at == arrival
    assert _event(_record("_email.click")).occurred_at == arrival
    assert _event(_record("_email.send")).occurred_at == arrival
    assert _event(_record("_campaign.opened_notification")).occurred_at == micros_of(T0)
    assert _event(_record("_campaign.send", {"campaign_send_status": "SUCCESS"})).occurred_at == (
        micros_of(T0)
    )


def test_an_email_click_carries_the_link_of_its_click_facet() -> None:
    facets = {"email_channel": {"mail_event": {"click": {"link": "https://shop.example/sale"}}}}
    assert _event(_record("_email.click", facets=facets)).link_url == "https://shop.example/sale"


def test_a_journey_gives_the_campaign_its_run_and_the_action() -> None:
    record = _record("_email.send")
    record["attributes"] = {
        "journey_id": "j1",
        "journey_run_id": "jr1",
        "journey_activity_id": "act1",
    }
    event = _event(record)
    assert (event.campaign_id, event.run_id, event.action_id, event.variant_id) == (
        "j1",
        "jr1",
        "act1",
        None,
    )


def test_a_record_with_no_campaign_or_journey_is_skipped_as_transactional() -> None:
    record = _record("_email.send")
    record["attributes"] = {"from_address": "shop@example.com"}
    assert map_record(record) == Skip("transactional: no campaign_id or journey_id")


@pytest.mark.parametrize(
    "event_type", ["_session.start", "_session.pause", "_session.resume", "_userauth.sign_in"]
)
def test_session_and_sign_in_markers_are_skipped(event_type: str) -> None:
    assert map_record(_record(event_type)) == Skip(f"{event_type} is a session or sign-in marker")


def test_an_unknown_pinpoint_type_is_skipped_with_its_name() -> None:
    assert map_record(_record("_push.unknown")) == Skip(
        "Pinpoint event type _push.unknown is not modelled"
    )


def test_a_session_stop_is_a_session_with_its_duration_in_seconds() -> None:
    record = _record(
        "_session.stop",
        session={
            "session_id": "s1",
            "start_timestamp": ms(T0),
            "stop_timestamp": ms(T0) + 95_500,
        },
    )
    assert map_record(record) == Session(
        session_id="s1",
        user_id="u1",
        started_at=micros_of(T0),
        duration_seconds=95.5,
        platform="ios",
        device_model="iPhone15,2",
    )


def test_a_purchase_is_a_conversion_worth_price_times_quantity() -> None:
    record = _record("_monetization.purchase", metrics={"_item_price": 2.5, "_quantity": 3})
    mapped = map_record(record)
    assert isinstance(mapped, Conversion)
    assert (mapped.event_name, mapped.revenue, mapped.occurred_at) == (
        "_monetization.purchase",
        7.5,
        micros_of(T0),
    )


def test_a_custom_event_is_a_conversion_named_after_it() -> None:
    mapped = map_record(_record("signed_up"))
    assert isinstance(mapped, Conversion)
    assert (mapped.event_name, mapped.revenue, mapped.user_id) == ("signed_up", None, "u1")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"client": {}}, "no client.client_id"),
        ({"event_timestamp": "yesterday"}, "bad timestamp: event_timestamp = 'yesterday'"),
        ({"event_timestamp": None}, "no event_timestamp"),
        ({"event_type": None}, "no event_type"),
    ],
)
def test_a_record_missing_its_user_or_time_is_rejected(change: dict, reason: str) -> None:
    record = _record("_campaign.opened_notification") | change
    assert map_record(record) == Reject(reason)


def test_a_redelivered_identical_record_is_already_present(
    engine: sa.Engine, tmp_path: Path
) -> None:
    send = _record("_campaign.send", {"campaign_send_status": "SUCCESS"})
    path = write_export(
        tmp_path / "stream.json", [send, send, _record("_campaign.opened_notification")]
    )
    [first] = import_export(engine, [path], "pinpoint")
    # 3 read: the send and the open load, the second send collapses into the first; one
    # entered row is derived for (c1, u1, run1).
    assert counts(first) == (3, 2, 1, 0, 0, 1)
    [again] = import_export(engine, [path], "pinpoint")
    assert counts(again) == (3, 0, 3, 0, 0, 0)
    assert len(rows(engine, "message_events")) == 3


def _export() -> list[dict]:
    """Two campaigns, worked out by hand in the test below.

    cp_spring (push, run r1): u1 (treatment 0) sent 09:00 and opened 09:10, u2 (treatment 1)
    sent 09:00, u3 (treatment 0) throttled. u1 buys at 10:00, u2 never.
    j_news (email journey, run jr1, activity a1): u4 sent, delivered, opened (arrival
    11:30), clicked; u5 sent and hard-bounced; u6 sent and soft-bounced; plus a
    transactional email to u7 (skipped) and a session marker (skipped).
    """

    def push(event_type: str, user: str, treatment: str, minutes: int, **attributes: Any) -> dict:
        record = _record(
            event_type,
            {"campaign_id": "cp_spring", "treatment_id": treatment, "campaign_activity_id": "r1"},
            event_timestamp=ms(T0 + dt.timedelta(minutes=minutes)),
            client={"client_id": user},
        )
        record["attributes"].update(attributes)
        return record

    def email(event_type: str, user: str, minutes: int, **extra: Any) -> dict:
        moment = ms(T0 + dt.timedelta(minutes=minutes))
        return {
            "event_type": event_type,
            "event_timestamp": ms(T0 + dt.timedelta(hours=2)),
            "arrival_timestamp": moment,
            "client": {"client_id": user},
            "device": {"platform": {}},
            "attributes": {
                "journey_id": "j_news",
                "journey_run_id": "jr1",
                "journey_activity_id": "a1",
            },
            **extra,
        }

    click = {"email_channel": {"mail_event": {"click": {"link": "https://shop.example/"}}}}
    return [
        push("_campaign.send", "u1", "0", 0, campaign_send_status="SUCCESS"),
        push("_campaign.send", "u2", "1", 0, campaign_send_status="SUCCESS"),
        push("_campaign.send", "u3", "0", 0, campaign_send_status="THROTTLED"),
        push("_campaign.opened_notification", "u1", "0", 10),
        {
            "event_type": "purchase",
            "event_timestamp": ms(T0 + dt.timedelta(hours=1)),
            "client": {"client_id": "u1"},
            "attributes": {},
        },
        email("_email.send", "u4", 120),
        email("_email.delivered", "u4", 121),
        email("_email.open", "u4", 150),
        email("_email.click", "u4", 151, facets=click),
        email("_email.send", "u5", 120),
        email("_email.hardbounce", "u5", 121),
        email("_email.send", "u6", 120),
        email("_email.softbounce", "u6", 122),
        email("_email.send", "u7", 120) | {"attributes": {}},
        _record("_session.start"),
    ]


def test_a_pinpoint_export_of_two_campaigns_reports_what_was_sent_opened_and_bought(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = write_export(tmp_path / "s3" / "2026" / "03" / "02" / "stream-1", _export())
    [result] = import_export(engine, [tmp_path / "s3"], "pinpoint", conversion_event="purchase")
    # 15 read: 12 message events and 1 conversion load, 2 skipped; entered for u1, u2, u3
    # (r1) and u4, u5, u6 (jr1).
    assert counts(result) == (15, 13, 0, 2, 0, 6)
    assert result.path == path
    with engine.connect() as connection:
        spring = build_report(connection, default_scope(connection, "cp_spring"))
        news = build_report(connection, default_scope(connection, "j_news"))
    assert (spring.campaign.name, spring.campaign.channel, spring.campaign.started_at) == (
        "cp_spring",
        "push",
        T0,
    )
    kpis = spring.kpis
    assert (kpis.entries, kpis.messages_sent, kpis.errors, kpis.errors_by_code) == (
        3,
        2,
        1,
        {"THROTTLED": 1},
    )
    # No delivered events: delivered = sent - bounces = 2; one open by u1.
    assert (kpis.delivered, kpis.opens, kpis.hard_bounces) == (2, 1, 0)
    # Receivers u1, u2; u1 buys an hour after the send; nobody is in a control group.
    assert (kpis.receivers, kpis.converted_users, kpis.control_users) == (2, 1, 0)
    assert [
        (v.variant_id, v.is_control, v.users, v.messages_sent, v.errors) for v in spring.variants
    ] == [
        ("0", False, 1, 1, 1),
        ("1", False, 1, 1, 0),
    ]
    assert news.campaign.channel == "email"
    kpis = news.kpis
    assert (kpis.messages_sent, kpis.delivered, kpis.hard_bounces, kpis.soft_bounces) == (
        3,
        1,
        1,
        1,
    )
    assert (kpis.opens, kpis.clicks, kpis.entries) == (1, 1, 3)
    assert [(link.link_url, link.clicks) for link in news.links] == [("https://shop.example/", 1)]
    assert [(action.action_id, action.position) for action in news.actions] == [("a1", 1)]
    users = {row["user_id"]: row["platform"] for row in rows(engine, "users")}
    assert users == {"u1": "ios", "u2": "ios", "u3": "ios", "u4": None, "u5": None, "u6": None}
