"""CleverTap's event export becomes canonical rows as ../shared/vendor-imports.md says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from data.ingest.vendors._rows import Conversion, MessageEvent, Reject, Session, Skip, micros_of
from data.ingest.vendors.clevertap import map_record
from metrics.report import build_report, default_scope
from tests.data.vendor_support import UTC, counts, import_export, write_export


def _record(event_name: str, properties: dict[str, Any] | None = None, **extra: Any) -> dict:
    """A CleverTap record of push campaign 1700 (run 1700_20260302) for u1, 09:00 UTC."""
    record: dict[str, Any] = {
        "ts": 20260302090000,
        "eventName": event_name,
        "profile": {"identity": "u1", "objectId": "obj-1", "platform": "Android"},
        "deviceInfo": {"make": "Google", "model": "Pixel 8"},
        "eventProps": {
            "Campaign id": 1700,
            "Campaign type": "Mobile Push - Android",
            "wzrk_id": "1700_20260302",
            "wzrk_pivot": "A",
            **(properties or {}),
        },
    }
    record.update(extra)
    return record


def _mapped(record: dict, source_tz: str = "UTC") -> MessageEvent:
    mapped = map_record(record, source_tz)
    assert isinstance(mapped, MessageEvent), mapped
    return mapped


NINE_UTC = micros_of(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("event_name", "properties", "expected"),
    [
        ("Notification Sent", {}, ("sent", "push", None)),
        ("Push Impressions", {}, ("received", "push", None)),
        ("Notification Viewed", {"Campaign type": "InApp"}, ("impression", "in_app", None)),
        ("Notification Viewed", {"Campaign type": "Email"}, ("opened", "email", None)),
        ("Notification Clicked", {}, ("clicked", "push", None)),
        ("Notification Replied", {}, ("clicked", "push", None)),
        ("Notification Sent", {"Campaign type": "SMS"}, ("sent", "sms", None)),
        ("Control Group", {}, ("control", "push", None)),
        ("Channel Unsubscribed", {"Campaign type": "Email"}, ("unsubscribed", "email", None)),
        (
            "Channel Unsubscribed",
            {"Campaign type": "Email", "Type": "bounced"},
            ("bounced", "email", "hard"),
        ),
    ],
)
def test_each_campaign_event_becomes_its_canonical_row(
    event_name: str, properties: dict, expected: tuple
) -> None:
    event = _mapped(_record(event_name, properties))
    assert (event.event_type, event.channel, event.bounce_type) == expected
    assert (event.campaign_id, event.variant_id, event.run_id, event.user_id) == (
        "1700",
        "A",
        "1700_20260302",
        "u1",
    )
    assert (event.platform, event.device_model, event.occurred_at) == (
        "android",
        "Pixel 8",
        NINE_UTC,
    )
    assert event.event_id.startswith("clevertap:") and len(event.event_id) == 10 + 32
    assert event.control is (event.event_type == "control")


def test_ts_is_read_on_the_source_time_zone_wall_clock() -> None:
    # 09:00 in Kolkata (UTC+05:30) is 03:30 UTC; in New York (EST, UTC-5) 14:00 UTC.
    kolkata = _mapped(_record("Notification Sent"), "Asia/Kolkata")
    new_york = _mapped(_record("Notification Sent"), "America/New_York")
    assert kolkata.occurred_at == micros_of(dt.datetime(2026, 3, 2, 3, 30, tzinfo=UTC))
    assert new_york.occurred_at == micros_of(dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC))


def test_a_record_with_no_identity_is_rejected_and_identities_fall_back_in_order() -> None:
    assert map_record(_record("Notification Sent", profile={"platform": "iOS"})) == Reject(
        "no user identifier"
    )
    by_object = _mapped(_record("Notification Sent", profile={"objectId": "obj-9"}))
    by_list = _mapped(_record("Notification Sent", profile={"all_identities": ["", "mail@x"]}))
    assert (by_object.user_id, by_list.user_id) == ("obj-9", "mail@x")


def test_wzrk_default_is_no_variant_and_the_campaign_comes_from_wzrk_id() -> None:
    event = _mapped(
        _record("Notification Sent", {"Campaign id": None, "wzrk_pivot": "wzrk_default"})
    )
    assert (event.campaign_id, event.variant_id) == ("1700", None)
    assert (
        _mapped(_record("Notification Sent", {"wzrk_pivot": None, "Variant": "B"})).variant_id
        == "B"
    )


def test_bad_timestamps_are_rejected() -> None:
    assert map_record(_record("Notification Sent", ts=20261340250000)) == Reject(
        "bad timestamp: ts = 20261340250000"
    )
    assert map_record(_record("Notification Sent", ts="noon")) == Reject(
        "bad timestamp: ts = 'noon'"
    )


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (_record("App Launched"), "App Launched is a CleverTap system event"),
        (_record("AB Experiment Rendered"), "AB Experiment Rendered is a CleverTap system event"),
        (
            _record("Notification Sent", {"Campaign id": None, "wzrk_id": None}),
            "not a campaign event: no Campaign id or wzrk_id",
        ),
        (
            _record("Notification Sent", {"Campaign type": "WhatsApp"}),
            "the WhatsApp channel is not modelled",
        ),
    ],
)
def test_system_events_non_campaign_and_other_channel_events_are_skipped(
    record: dict, reason: str
) -> None:
    assert map_record(record) == Skip(reason)


def test_sessions_charges_and_custom_events_are_their_rows() -> None:
    session = map_record(
        _record("Session Concluded", eventProps={"Session Id": 77, "Session Length": 120})
    )
    assert session == Session("77", "u1", NINE_UTC - 120_000_000, 120.0, "android", "Pixel 8")
    charged = map_record(_record("Charged", eventProps={"Amount": 49.5}))
    assert isinstance(charged, Conversion)
    assert (charged.event_name, charged.revenue, charged.occurred_at) == ("Charged", 49.5, NINE_UTC)
    custom = map_record(_record("Added To Cart", eventProps={}))
    assert isinstance(custom, Conversion) and custom.event_name == "Added To Cart"


def _export() -> list[dict]:
    """Two campaigns, on the Kolkata wall clock, worked out by hand in the test below.

    1700 (push, run 1700_20260302, variants A and B, control group): u1 (A) sent, viewed
    (impression) and clicked; u2 (B) sent and viewed; u3 in the control group. u1 and u3
    are Charged. 1800 (email, no variants): u4 sent and viewed (opened), u5 sent and
    bounced (Channel Unsubscribed of Type bounced). Plus App Launched (skipped) and a
    record with no identity (rejected).
    """

    def event(name: str, user: str, hhmm: str, **properties: Any) -> dict:
        return {
            "ts": int(f"20260302{hhmm}00"),
            "eventName": name,
            "profile": {"identity": user, "platform": "Android"},
            "deviceInfo": {"model": "Pixel 8"},
            "eventProps": properties,
        }

    push = {
        "Campaign id": 1700,
        "Campaign type": "Mobile Push - Android",
        "wzrk_id": "1700_20260302",
    }
    email = {"Campaign id": 1800, "Campaign type": "Email", "wzrk_pivot": "wzrk_default"}
    return [
        event("Notification Sent", "u1", "0900", wzrk_pivot="A", **push),
        event("Notification Viewed", "u1", "0901", wzrk_pivot="A", **push),
        event("Notification Clicked", "u1", "0902", wzrk_pivot="A", **push),
        event("Notification Sent", "u2", "0900", wzrk_pivot="B", **push),
        event("Notification Viewed", "u2", "0905", wzrk_pivot="B", **push),
        event("Control Group", "u3", "0900", wzrk_pivot="control", **push),
        event("Charged", "u1", "1000", Amount=30),
        event("Charged", "u3", "1100", Amount=20),
        event("Notification Sent", "u4", "1200", **email),
        event("Notification Viewed", "u4", "1230", **email),
        event("Notification Sent", "u5", "1200", **email),
        event("Channel Unsubscribed", "u5", "1201", Type="bounced", **email),
        event("App Launched", "u1", "0859"),
        {"ts": 20260302090000, "eventName": "Notification Sent", "profile": {}, "eventProps": push},
    ]


def test_a_clevertap_export_of_two_campaigns_reports_views_clicks_control_and_charges(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = write_export(tmp_path / "export.jsonl", _export())
    [result] = import_export(
        engine, [path], "clevertap", conversion_event="Charged", source_tz="Asia/Kolkata"
    )
    # 14 read: 12 load, App Launched skipped, the anonymous send rejected. Entered rows:
    # u1, u2, u3 (run 1700_20260302) and u4, u5 (no run).
    assert counts(result) == (14, 12, 0, 1, 1, 5)
    with engine.connect() as connection:
        push = build_report(connection, default_scope(connection, "1700"))
        email = build_report(connection, default_scope(connection, "1800"))
    # 09:00 in Kolkata is 03:30 UTC.
    assert push.campaign.started_at == dt.datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    assert (push.campaign.channel, push.campaign.conversion_event) == ("push", "Charged")
    kpis = push.kpis
    assert (kpis.entries, kpis.messages_sent, kpis.impressions, kpis.clicks, kpis.opens) == (
        3,
        2,
        2,
        1,
        0,
    )
    assert (kpis.receivers, kpis.converted_users, kpis.revenue) == (2, 1, 30.0)
    assert (kpis.control_users, kpis.control_converted_users) == (1, 1)
    assert [(v.variant_id, v.is_control, v.users, v.clicks) for v in push.variants] == [
        ("control", True, 1, 0),
        ("A", False, 1, 1),
        ("B", False, 1, 0),
    ]
    assert email.campaign.channel == "email"
    kpis = email.kpis
    assert (kpis.messages_sent, kpis.hard_bounces, kpis.delivered, kpis.opens, kpis.entries) == (
        2,
        1,
        1,
        1,
        2,
    )
    assert email.variants == []
