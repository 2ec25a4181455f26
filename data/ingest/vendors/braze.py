"""Braze Currents (the JSON form of the HTTP connector) mapped onto the event schema.

The mapping is ../shared/vendor-imports.md's Braze table. Every Currents event has its own
`id`, so a re-delivered event is the same row. A Canvas is a campaign here: its variation
is the variant, its step the action; Canvas emits its own `users.canvas.Entry`, so no
`entered` row is derived for it. A campaign's `dispatch_id` is its run.
"""

from __future__ import annotations

from typing import Any

from data.ingest.vendors._rows import (
    SECOND,
    Conversion,
    Mapped,
    MessageEvent,
    Reject,
    Session,
    Skip,
    epoch_micros,
    lowered,
    number,
    text,
    truthy,
)

NAME = "braze"

_CHANNELS: dict[str, str] = {
    "pushnotification": "push",
    "email": "email",
    "inappmessage": "in_app",
    "contentcard": "in_app",
    "banner": "in_app",
}
"""Braze message channels we model; content cards and banners are in-app surfaces."""

_MESSAGE_EVENTS: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("pushnotification", "Send"): ("sent", {}),
    ("email", "Send"): ("sent", {}),
    ("contentcard", "Send"): ("sent", {}),
    ("email", "Delivery"): ("delivered", {}),
    ("pushnotification", "Open"): ("opened", {}),
    ("email", "Open"): ("opened", {}),
    ("email", "Click"): ("clicked", {}),
    ("inappmessage", "Impression"): ("impression", {}),
    ("contentcard", "Impression"): ("impression", {}),
    ("banner", "Impression"): ("impression", {}),
    ("inappmessage", "Click"): ("clicked", {}),
    ("contentcard", "Click"): ("clicked", {}),
    ("banner", "Click"): ("clicked", {}),
    ("contentcard", "Dismiss"): ("dismissed", {}),
    ("banner", "Dismiss"): ("dismissed", {}),
    ("pushnotification", "Bounce"): ("bounced", {"bounce_type": "hard"}),
    ("email", "Bounce"): ("bounced", {"bounce_type": "hard"}),
    ("email", "SoftBounce"): ("bounced", {"bounce_type": "soft"}),
    ("email", "Unsubscribe"): ("unsubscribed", {}),
    ("email", "MarkAsSpam"): ("complained", {}),
    ("pushnotification", "IosForeground"): ("received", {}),
}
"""(channel, action) of `users.messages.CHANNEL.ACTION` -> (event_type, fixed columns)."""

ENROLL_IN_CONTROL = "users.campaigns.EnrollInControl"
CANVAS_ENTRY = "users.canvas.Entry"
SESSION_END = "users.behaviors.app.SessionEnd"
PURCHASE = "users.behaviors.Purchase"
CUSTOM_EVENT = "users.behaviors.CustomEvent"


def map_record(record: dict[str, Any], source_tz: str = "UTC") -> Mapped:
    """One Currents event as a canonical row, or why it is skipped or rejected.

    `source_tz` is unused: Currents times are epoch seconds, zone-free.
    """
    event_type = text(record.get("event_type"))
    if event_type is None:
        return Reject("no event_type")
    properties = record.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    message = _message_kind(event_type)
    if isinstance(message, Skip):
        return message
    if message is None and event_type not in (ENROLL_IN_CONTROL, CANVAS_ENTRY):
        if event_type in (SESSION_END, PURCHASE, CUSTOM_EVENT):
            return _behaviour(record, event_type, properties)
        return Skip(f"Braze event type {event_type} is not modelled")
    campaign = _campaign_ids(properties)
    if campaign is None:
        return Skip("transactional: no campaign_id or canvas_id")
    required = _required(record)
    if isinstance(required, Reject):
        return required
    event_id, user_id, occurred_at = required
    control = False
    if message is not None:
        kind, channel, columns = message
    elif event_type == ENROLL_IN_CONTROL:
        kind, channel, columns, control = "control", None, {}, True
    else:
        kind, channel, columns = "entered", None, {}
        control = truthy(properties.get("in_control_group"))
    if kind == "failed":
        columns["error_code"] = text(properties.get("abort_type"))
    elif kind == "opened" and channel == "email":
        columns["is_machine"] = truthy(properties.get("machine_open"))
    elif kind == "clicked" and channel == "email":
        columns["link_url"] = text(properties.get("url"))
        columns["is_machine"] = truthy(properties.get("is_suspected_bot_click"))
    return MessageEvent(
        event_id=event_id,
        user_id=user_id,
        event_type=kind,
        occurred_at=occurred_at,
        channel=channel,
        platform=lowered(properties.get("platform")),
        device_model=text(properties.get("device_model")),
        control=control,
        **campaign,
        **columns,
    )


def _message_kind(event_type: str) -> tuple[str, str, dict[str, Any]] | Skip | None:
    """(event_type, channel, columns) of a `users.messages.*` event; None for other families."""
    parts = event_type.split(".")
    if len(parts) != 4 or parts[:2] != ["users", "messages"]:
        return None
    vendor_channel, action = parts[2], parts[3]
    if action == "Retry" or (vendor_channel, action) == ("email", "Deferral"):
        return Skip(f"{event_type} is an interim attempt")
    channel = _CHANNELS.get(vendor_channel)
    if channel is None:
        return Skip(f"the {vendor_channel} channel is not modelled")
    if action == "Abort":
        return "failed", channel, {}
    mapped = _MESSAGE_EVENTS.get((vendor_channel, action))
    if mapped is None:
        return Skip(f"Braze event type {event_type} is not modelled")
    kind, fixed = mapped
    return kind, channel, dict(fixed)


def _campaign_ids(properties: dict[str, Any]) -> dict[str, Any] | None:
    """Campaign, variant, action, run and names, from a Canvas's ids or a campaign's."""
    canvas_id = text(properties.get("canvas_id"))
    if canvas_id is not None:
        return {
            "campaign_id": canvas_id,
            "campaign_name": text(properties.get("canvas_name")),
            "variant_id": text(properties.get("canvas_variation_id")),
            "variant_name": text(properties.get("canvas_variation_name")),
            "action_id": text(properties.get("canvas_step_id")),
            "action_name": text(properties.get("canvas_step_name")),
            "derive_entry": False,
        }
    campaign_id = text(properties.get("campaign_id"))
    if campaign_id is None:
        return None
    return {
        "campaign_id": campaign_id,
        "campaign_name": text(properties.get("campaign_name")),
        "variant_id": text(properties.get("message_variation_id")),
        "variant_name": text(properties.get("message_variation_name")),
        "run_id": text(properties.get("dispatch_id")),
    }


def _required(record: dict[str, Any]) -> tuple[str, str, int] | Reject:
    """The event's id, user and time, which every Currents event must have."""
    event_id = text(record.get("id"))
    if event_id is None:
        return Reject("no id")
    user = record.get("user")
    user_id = text(user.get("user_id")) if isinstance(user, dict) else None
    if user_id is None:
        return Reject("no user.user_id")
    occurred_at = epoch_micros(record.get("time"), SECOND)
    if occurred_at is None:
        value = record.get("time")
        return Reject("no time" if value is None else f"bad timestamp: time = {value!r}")
    return event_id, user_id, occurred_at


def _behaviour(record: dict[str, Any], event_type: str, properties: dict[str, Any]) -> Mapped:
    """A session (start = time - duration), a purchase or a custom event."""
    required = _required(record)
    if isinstance(required, Reject):
        return required
    event_id, user_id, occurred_at = required
    platform = lowered(properties.get("platform"))
    device_model = text(properties.get("device_model"))
    if event_type == SESSION_END:
        session_id = text(properties.get("session_id"))
        duration = number(properties.get("duration"))
        if session_id is None:
            return Reject("no session_id")
        if duration is None or duration < 0:
            return Reject(f"bad session duration: {properties.get('duration')!r}")
        return Session(
            session_id=session_id,
            user_id=user_id,
            started_at=occurred_at - round(duration * SECOND),
            duration_seconds=duration,
            platform=platform,
            device_model=device_model,
        )
    name = "purchase" if event_type == PURCHASE else text(properties.get("name"))
    if name is None:
        return Reject("a custom event with no name")
    revenue = number(properties.get("price")) if event_type == PURCHASE else None
    return Conversion(
        conversion_id=event_id,
        user_id=user_id,
        event_name=name,
        occurred_at=occurred_at,
        revenue=revenue,
        platform=platform,
        device_model=device_model,
    )
