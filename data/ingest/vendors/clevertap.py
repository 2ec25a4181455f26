"""CleverTap's event export (JSON, one record per line) mapped onto the event schema.

The mapping is ../shared/vendor-imports.md's CleverTap table. `ts` is a wall-clock
`YYYYMMDDHHMMSS` in the account's time zone (`--source-tz`), and records carry no id, so
the id is a hash of the record. A campaign's `wzrk_id` is `<campaign id>_<send date>`:
each send date of a recurring campaign is a run.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from data.ingest.vendors._rows import (
    Conversion,
    Mapped,
    MessageEvent,
    Reject,
    Session,
    Skip,
    field,
    lowered,
    micros_of,
    number,
    record_hash,
    text,
)

NAME = "clevertap"

_MESSAGE_EVENTS: dict[str, str] = {
    "Notification Sent": "sent",
    "Push Impressions": "received",
    "Notification Viewed": "impression",
    "Notification Clicked": "clicked",
    "Notification Replied": "clicked",
    "Control Group": "control",
    "Channel Unsubscribed": "unsubscribed",
}
"""eventName -> event_type (Viewed is `opened` for email, Unsubscribed may be a bounce)."""

SESSION = "Session Concluded"
CHARGED = "Charged"
SYSTEM_EVENTS = frozenset(
    {
        "App Launched",
        "App Installed",
        "App Uninstalled",
        "App Version Changed",
        "AB Experiment Rendered",
        "UTM Visited",
        "Stayed",
        "Geocluster Entered",
        "Geocluster Exited",
        "Notification Delivered",
        "Push Unregistered",
        "Reply Sent",
        "State Transitioned",
    }
)
"""CleverTap's own events that are neither messages nor goals: skipped."""
DEFAULT_VARIANT = "wzrk_default"


def map_record(record: dict[str, Any], source_tz: str = "UTC") -> Mapped:
    """One CleverTap record as a canonical row, or why it is skipped or rejected."""
    event_name = text(record.get("eventName"))
    if event_name is None:
        return Reject("no eventName")
    if event_name in SYSTEM_EVENTS:
        return Skip(f"{event_name} is a CleverTap system event")
    properties = record.get("eventProps")
    properties = properties if isinstance(properties, dict) else {}
    kind = _MESSAGE_EVENTS.get(event_name)
    channel: str | None = None
    campaign_id: str | None = None
    if kind is not None:
        channel_or_skip = _channel(properties.get("Campaign type"))
        if isinstance(channel_or_skip, Skip):
            return channel_or_skip
        channel = channel_or_skip
        campaign_id = text(properties.get("Campaign id")) or _campaign_of(properties)
        if campaign_id is None:
            return Skip("not a campaign event: no Campaign id or wzrk_id")
    user_id = _user_id(record)
    if user_id is None:
        return Reject("no user identifier")
    occurred_at = _timestamp(record.get("ts"), source_tz)
    if occurred_at is None:
        value = record.get("ts")
        return Reject("no ts" if value is None else f"bad timestamp: ts = {value!r}")
    platform = lowered(field(record, "profile", "platform"))
    device_model = text(field(record, "deviceInfo", "model"))
    if kind is None:
        return _behaviour(record, event_name, properties, user_id, occurred_at)
    assert campaign_id is not None  # a message event without one was skipped above
    columns: dict[str, Any] = {}
    if event_name == "Notification Viewed" and channel == "email":
        kind = "opened"
    elif kind == "unsubscribed" and (text(properties.get("Type")) or "").lower() == "bounced":
        kind, columns = "bounced", {"bounce_type": "hard"}
    variant_id = text(properties.get("wzrk_pivot")) or text(properties.get("Variant"))
    wzrk_id = text(properties.get("wzrk_id"))
    return MessageEvent(
        event_id=f"clevertap:{record_hash(record)}",
        campaign_id=campaign_id,
        user_id=user_id,
        event_type=kind,
        occurred_at=occurred_at,
        channel=channel,
        run_id=wzrk_id if wzrk_id is not None and "_" in wzrk_id else None,
        variant_id=None if variant_id == DEFAULT_VARIANT else variant_id,
        platform=platform,
        device_model=device_model,
        campaign_name=text(properties.get("Campaign name")),
        control=kind == "control",
        **columns,
    )


def _channel(campaign_type: Any) -> str | None | Skip:
    """The channel named by `Campaign type`; None when absent, Skip for one we do not model."""
    value = text(campaign_type)
    if value is None:
        return None
    folded = value.strip().lower()
    if folded.startswith("mobile push"):
        return "push"
    if folded.replace("-", "").replace(" ", "") == "inapp":
        return "in_app"
    if folded in ("email", "sms"):
        return folded
    return Skip(f"the {value} channel is not modelled")


def _campaign_of(properties: dict[str, Any]) -> str | None:
    wzrk_id = text(properties.get("wzrk_id"))
    if wzrk_id is None:
        return None
    return wzrk_id.split("_", 1)[0] or None


def _user_id(record: dict[str, Any]) -> str | None:
    """identity, else objectId, else the first of all_identities."""
    profile = record.get("profile")
    if not isinstance(profile, dict):
        return None
    user_id = text(profile.get("identity")) or text(profile.get("objectId"))
    if user_id is not None:
        return user_id
    identities = profile.get("all_identities")
    if isinstance(identities, list):
        for identity in identities:
            if text(identity) is not None:
                return text(identity)
    return None


def _timestamp(value: Any, source_tz: str) -> int | None:
    """`YYYYMMDDHHMMSS` on the account's wall clock, as UTC microseconds."""
    digits = text(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    if digits is None or len(digits) != 14 or not digits.isdigit():
        return None
    try:
        moment = dt.datetime(
            int(digits[0:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
            tzinfo=_zone(source_tz),
        )
    except ValueError:
        return None
    return micros_of(moment)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _behaviour(
    record: dict[str, Any],
    event_name: str,
    properties: dict[str, Any],
    user_id: str,
    occurred_at: int,
) -> Mapped:
    """A session (start = ts - length), a purchase (`Charged`) or a custom event."""
    platform = lowered(field(record, "profile", "platform"))
    device_model = text(field(record, "deviceInfo", "model"))
    if event_name == SESSION:
        session_id = text(properties.get("Session Id"))
        length = number(properties.get("Session Length"))
        if session_id is None:
            return Reject("no Session Id")
        if length is None or length < 0:
            return Reject(f"bad Session Length: {properties.get('Session Length')!r}")
        return Session(
            session_id=session_id,
            user_id=user_id,
            started_at=occurred_at - round(length * 1_000_000),
            duration_seconds=length,
            platform=platform,
            device_model=device_model,
        )
    return Conversion(
        conversion_id=f"clevertap:{record_hash(record)}",
        user_id=user_id,
        event_name=event_name,
        occurred_at=occurred_at,
        revenue=number(properties.get("Amount")) if event_name == CHARGED else None,
        platform=platform,
        device_model=device_model,
    )
