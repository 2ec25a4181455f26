"""What one vendor record becomes: a canonical row, or a reason it is skipped or rejected.

Every vendor module maps a record to exactly one of these, so the accounting
(`read = loaded + already present + skipped + rejected`) is a plain count of outcomes.
A message event also carries the catalog facts it reveals (the campaign's name, the
variant's name, whether the variant is a control group, the channel), from which the
campaigns, variants and actions rows are written (../shared/vendor-imports.md).

Times are integers: microseconds since the epoch, UTC, the unit of the tables' timestamps.

>>> epoch_micros(1562109497426, MILLISECOND)
1562109497426000
>>> epoch_micros("soon", SECOND) is None
True
>>> text(1700000000), text(""), text(None)
('1700000000', None, None)
>>> record_hash({"b": 1, "a": "é"}) == record_hash({"a": "é", "b": 1})
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

SECOND = 1_000_000
MILLISECOND = 1_000


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """A `message_events` row, with the catalog facts the record carries."""

    event_id: str
    campaign_id: str
    user_id: str
    event_type: str
    occurred_at: int
    channel: str | None = None
    run_id: str | None = None
    action_id: str | None = None
    variant_id: str | None = None
    platform: str | None = None
    device_model: str | None = None
    bounce_type: str | None = None
    error_code: str | None = None
    link_url: str | None = None
    is_machine: bool = False
    campaign_name: str | None = None
    variant_name: str | None = None
    action_name: str | None = None
    control: bool = False
    """The record puts its user in the control group: its variant becomes `is_control`."""
    derive_entry: bool = True
    """False where the vendor emits `entered` itself (Braze Canvas), so none is derived."""


@dataclass(frozen=True, slots=True)
class Session:
    """A `sessions` row; platform and device only inform the `users` row."""

    session_id: str
    user_id: str
    started_at: int
    duration_seconds: float
    platform: str | None = None
    device_model: str | None = None


@dataclass(frozen=True, slots=True)
class Conversion:
    """A `conversions` row; platform and device only inform the `users` row."""

    conversion_id: str
    user_id: str
    event_name: str
    occurred_at: int
    revenue: float | None = None
    platform: str | None = None
    device_model: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """Recognised but not modelled (a transactional send, a session marker, ...)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Reject:
    """Malformed: a required id, user or time is missing or unreadable."""

    reason: str


Row = MessageEvent | Session | Conversion
Mapped = Row | Skip | Reject


def record_hash(record: Any) -> str:
    """First 32 hex digits of the SHA-256 of the record with sorted keys and no spaces.

    For vendors whose records carry no id: a re-delivered record hashes the same, so it
    collapses into the row already stored. Non-ASCII text is hashed as UTF-8, unescaped.
    """
    serialised = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(serialised.encode("utf-8")).hexdigest()[:32]


def epoch_micros(value: Any, unit: int) -> int | None:
    """An epoch count in `unit` (SECOND or MILLISECOND) as microseconds; None if unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        micros = value * unit
    elif isinstance(value, float) and math.isfinite(value):
        micros = round(value * unit)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        micros = int(value.strip()) * unit
    else:
        return None
    return micros if 0 <= micros <= _LATEST_MICROS else None


def micros_of(moment: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds


_LATEST_MICROS = micros_of(dt.datetime(9999, 12, 31, tzinfo=dt.UTC))
"""The last instant a timestamp column holds on both databases."""


def text(value: Any) -> str | None:
    """An identifier or name as text: numbers without a `.0`, empty or missing as None."""
    if type(value) is str:  # the common case first: this runs for every field of every record
        return value or None
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    result = value if isinstance(value, str) else str(value)
    return result or None


def number(value: Any) -> float | None:
    """A finite number from a number or numeric text; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def truthy(value: Any) -> bool:
    """Vendor flags come as booleans, 0/1 or text: `true`, `1`, `yes` are true."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value) if isinstance(value, bool | int | float) else False


def lowered(value: Any) -> str | None:
    """Platform names arrive as `iOS`, `ANDROID`, `Android`: the tables hold them lower-case."""
    result = text(value)
    return result.lower() if result is not None else None


def field(record: Any, *path: str) -> Any:
    """The value at `path` inside nested objects, or None where any step is missing."""
    value = record
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def record_json(record: Any) -> str:
    """A record as one line of compact JSON, for the rejects file."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)
