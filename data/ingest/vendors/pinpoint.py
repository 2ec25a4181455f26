"""Amazon Pinpoint's event stream (Kinesis / Firehose JSON) mapped onto the event schema.

The mapping is ../shared/vendor-imports.md's Pinpoint table. Pinpoint records carry no
event id, so the id is a hash of the record: a record that Firehose delivers twice
collapses into one row. Email events carry the send time in `event_timestamp` for every
event of a message; the moment of the open or click is `arrival_timestamp`.
"""

from __future__ import annotations

from typing import Any, TypedDict

from data.ingest.vendors._rows import (
    MILLISECOND,
    Conversion,
    Mapped,
    MessageEvent,
    Reject,
    Session,
    Skip,
    epoch_micros,
    field,
    lowered,
    number,
    record_hash,
    text,
)

NAME = "pinpoint"

_SENDS: dict[str, str] = {"_campaign.send": "push", "_journey.send": "push"}
"""Send events whose status attribute says whether the message went out."""

_MESSAGE_EVENTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "_campaign.opened_notification": ("opened", "push", {}),
    "_campaign.received_foreground": ("received", "push", {}),
    "_campaign.received_background": ("received", "push", {}),
    "_inapp.message_displayed": ("impression", "in_app", {}),
    "_inapp.message_clicked": ("clicked", "in_app", {}),
    "_inapp.message_dismissed": ("dismissed", "in_app", {}),
    "_email.send": ("sent", "email", {}),
    "_email.delivered": ("delivered", "email", {}),
    "_email.open": ("opened", "email", {}),
    "_email.click": ("clicked", "email", {}),
    "_email.hardbounce": ("bounced", "email", {"bounce_type": "hard"}),
    "_email.softbounce": ("bounced", "email", {"bounce_type": "soft"}),
    "_email.complaint": ("complained", "email", {}),
    "_email.unsubscribe": ("unsubscribed", "email", {}),
    "_email.rejected": ("failed", "email", {"error_code": "Rejected"}),
    "_email.rendering_failure": ("failed", "email", {"error_code": "RenderingFailure"}),
    "_SMS.BUFFERED": ("sent", "sms", {}),
    "_SMS.SUCCESS": ("delivered", "sms", {}),
    "_SMS.FAILURE": ("failed", "sms", {}),
    "_SMS.OPTOUT": ("unsubscribed", "sms", {}),
}
"""Pinpoint event type -> (event_type, channel, fixed columns)."""

_MARKERS = frozenset({"_session.start", "_session.pause", "_session.resume"})
PURCHASE = "_monetization.purchase"


def map_record(record: dict[str, Any], source_tz: str = "UTC") -> Mapped:
    """One Pinpoint record as a canonical row, or why it is skipped or rejected.

    `source_tz` is unused: Pinpoint times are epoch milliseconds, zone-free.
    """
    event_type = text(record.get("event_type"))
    if event_type is None:
        return Reject("no event_type")
    if event_type in _MARKERS or event_type.startswith("_userauth."):
        return Skip(f"{event_type} is a session or sign-in marker")
    if event_type == "_session.stop":
        return _session(record)
    if event_type == PURCHASE or not event_type.startswith("_"):
        return _conversion(record, event_type)
    if event_type not in _SENDS and event_type not in _MESSAGE_EVENTS:
        return Skip(f"Pinpoint event type {event_type} is not modelled")
    attributes = record.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    campaign_id = text(attributes.get("campaign_id")) or text(attributes.get("journey_id"))
    if campaign_id is None:
        return Skip("transactional: no campaign_id or journey_id")
    user_id = text(field(record, "client", "client_id"))
    if user_id is None:
        return Reject("no client.client_id")
    time_key = "arrival_timestamp" if event_type.startswith("_email.") else "event_timestamp"
    occurred_at = epoch_micros(record.get(time_key), MILLISECOND)
    if occurred_at is None:
        return Reject(_bad_time(record, time_key))
    columns: dict[str, Any]
    if event_type in _SENDS:
        channel = _SENDS[event_type]
        status = text(attributes.get("campaign_send_status")) or text(
            attributes.get("journey_send_status")
        )
        if status is None:
            return Reject("no campaign_send_status")
        kind = "sent" if status == "SUCCESS" else "failed"
        columns = {} if kind == "sent" else {"error_code": status}
    else:
        kind, channel, fixed = _MESSAGE_EVENTS[event_type]
        columns = dict(fixed)
        if event_type == "_SMS.FAILURE":
            columns["error_code"] = text(attributes.get("record_status"))
        elif event_type == "_email.click":
            columns["link_url"] = text(
                field(record, "facets", "email_channel", "mail_event", "click", "link")
            )
    return MessageEvent(
        event_id=f"pinpoint:{record_hash(record)}",
        campaign_id=campaign_id,
        user_id=user_id,
        event_type=kind,
        occurred_at=occurred_at,
        channel=channel,
        run_id=text(attributes.get("campaign_activity_id"))
        or text(attributes.get("journey_run_id")),
        action_id=text(attributes.get("journey_activity_id")),
        variant_id=text(attributes.get("treatment_id")),
        **_device(record),
        **columns,
    )


def _session(record: dict[str, Any]) -> Mapped:
    """`_session.stop` carries the whole session: its id, start and stop."""
    user_id = text(field(record, "client", "client_id"))
    if user_id is None:
        return Reject("no client.client_id")
    session_id = text(field(record, "session", "session_id"))
    if session_id is None:
        return Reject("no session.session_id")
    start = epoch_micros(field(record, "session", "start_timestamp"), MILLISECOND)
    if start is None:
        return Reject(_bad_time(record, "session.start_timestamp"))
    stop_value = field(record, "session", "stop_timestamp")
    stop_key = "session.stop_timestamp"
    if stop_value is None:
        stop_value, stop_key = record.get("event_timestamp"), "event_timestamp"
    stop = epoch_micros(stop_value, MILLISECOND)
    if stop is None:
        return Reject(_bad_time(record, stop_key))
    if stop < start:
        return Reject("the session stops before it starts")
    return Session(
        session_id=session_id,
        user_id=user_id,
        started_at=start,
        duration_seconds=(stop - start) / 1_000_000,
        **_device(record),
    )


def _conversion(record: dict[str, Any], event_type: str) -> Mapped:
    """A purchase (revenue = price x quantity) or a custom event, named as Pinpoint names it."""
    user_id = text(field(record, "client", "client_id"))
    if user_id is None:
        return Reject("no client.client_id")
    occurred_at = epoch_micros(record.get("event_timestamp"), MILLISECOND)
    if occurred_at is None:
        return Reject(_bad_time(record, "event_timestamp"))
    revenue = None
    if event_type == PURCHASE:
        price = number(field(record, "metrics", "_item_price"))
        quantity = number(field(record, "metrics", "_quantity"))
        if price is not None:
            revenue = price * (quantity if quantity is not None else 1.0)
    return Conversion(
        conversion_id=f"pinpoint:{record_hash(record)}",
        user_id=user_id,
        event_name=event_type,
        occurred_at=occurred_at,
        revenue=revenue,
        **_device(record),
    )


class _Device(TypedDict):
    platform: str | None
    device_model: str | None


def _device(record: dict[str, Any]) -> _Device:
    """The platform and device model of a record, where Pinpoint keeps them."""
    return _Device(
        platform=lowered(field(record, "device", "platform", "name")),
        device_model=text(field(record, "device", "model")),
    )


def _bad_time(record: dict[str, Any], key: str) -> str:
    value = field(record, *key.split("."))
    return f"no {key}" if value is None else f"bad timestamp: {key} = {value!r}"
