"""The view as a URL: every filter of the app parsed from, and written back to, the query string.

A link is the unit of sharing: a PM pastes it into a chat and the reader must see exactly
the same figures, even in another time zone or on a later day. So the link always carries
every filter explicitly (campaign, dates, zone, flags), and this module is the only place
that reads or writes those parameters. Values are plain strings, validated here; nothing
from a URL is ever unpickled or evaluated.

Parsing is in two steps:
1. `parse_query` checks each parameter on its own (a date is a date, a zone exists) and
   drops a bad one with a message, keeping the rest.
2. `resolve_view` checks the parameters against the catalog (the campaign exists, the
   variant belongs to it) and fills the defaults (the campaign's whole range).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from data.scope import Scope, default_range, zone_named
from data.vocabulary import GRANULARITIES, SPLITS, Granularity, Split

MAX_VALUE_LENGTH = 200
"""Longer than any id, zone or date: a longer value is not a view, it is dropped unread."""
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}

PARAM_ORDER = (
    "campaign",
    "start",
    "end",
    "tz",
    "test",
    "machine",
    "variant",
    "action",
    "gran",
    "figure",
    "split",
)
"""Query parameters in the order they appear in a link (stable links diff and read well)."""


class ViewState(BaseModel):
    """Everything that decides what the app shows; one field per query parameter.

    `campaign`, `start` and `end` are None only before `resolve_view` fills them.
    """

    model_config = ConfigDict(frozen=True)

    campaign: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    tz: str = "UTC"
    test: bool = False
    """Exclude test users."""
    machine: bool = False
    """Exclude automated opens and clicks."""
    variant: str | None = None
    action: str | None = None
    gran: Granularity = "day"
    figure: str | None = None
    split: Split | None = None

    def to_query(self) -> dict[str, str]:
        """The query string of this view; every filter explicit, even at its default.

        Optional choices that are unset (no variant, no action drill-down, no explore
        figure) are left out: their absence is their value.
        """
        values: dict[str, str | None] = {
            "campaign": self.campaign,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "tz": self.tz,
            "test": "true" if self.test else "false",
            "machine": "true" if self.machine else "false",
            "variant": self.variant,
            "action": self.action,
            "gran": self.gran,
            "figure": self.figure,
            "split": self.split,
        }
        return {key: value for key, value in values.items() if value is not None}

    def to_scope(self) -> Scope:
        """The metrics engine's scope of this (resolved) view."""
        if self.campaign is None or self.start is None or self.end is None:
            raise ValueError("the view has no campaign or range yet: resolve it first")
        return Scope(
            campaign_id=self.campaign,
            start=self.start,
            end=self.end,
            tz=self.tz,
            exclude_test_users=self.test,
            exclude_machine=self.machine,
            variant=self.variant,
            action=self.action,
        )


def _single(value: str | Iterable[str]) -> str:
    """The last value of a repeated parameter (`?tz=UTC&tz=Europe/Paris`), like browsers do."""
    if isinstance(value, str):
        return value.strip()
    items = list(value)
    return items[-1].strip() if items else ""


def _parse_bool(name: str, text: str, label: str, messages: list[str]) -> bool:
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered not in FALSE_WORDS:
        messages.append(f"`{name}={text}` is not true or false, so {label} is off.")
    return False


def _parse_date(name: str, text: str, messages: list[str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        messages.append(
            f"`{name}={text}` is not a date (use YYYY-MM-DD), so the campaign's "
            f"default {name} date is used."
        )
        return None


def parse_query(
    params: Mapping[str, str | Iterable[str]], default_tz: str = "UTC"
) -> tuple[ViewState, list[str]]:
    """The view a query string asks for, and a message for each value that was dropped.

    Unknown parameters are ignored (a chat tool may append its own). A bad value never
    raises: it is replaced by its default and explained in the returned messages.
    `default_tz` is used when the link has no `tz` (the viewer's zone, else UTC).
    """
    messages: list[str] = []
    raw = {key: _single(value) for key, value in params.items() if key in PARAM_ORDER}
    for key, text in list(raw.items()):
        if len(text) > MAX_VALUE_LENGTH or not text.isprintable():
            # a 10 kB value or a NUL byte is never an id: drop it without echoing it
            messages.append(f"`{key}` is too long or holds control characters: it is ignored.")
            del raw[key]
    fields: dict[str, object] = {}

    if raw.get("campaign"):
        fields["campaign"] = raw["campaign"]
    start = _parse_date("start", raw["start"], messages) if raw.get("start") else None
    end = _parse_date("end", raw["end"], messages) if raw.get("end") else None
    if start and end and end < start:
        messages.append(
            f"The end date {end.isoformat()} is before the start date {start.isoformat()}, "
            "so the campaign's whole range is shown."
        )
        start = end = None
    fields["start"], fields["end"] = start, end

    tz = raw.get("tz") or default_tz
    try:
        zone_named(tz)
    except ValueError:
        messages.append(f"`tz={tz}` is not a known time zone (IANA name), so UTC is used.")
        tz = "UTC"
    fields["tz"] = tz

    if raw.get("test"):
        fields["test"] = _parse_bool("test", raw["test"], "excluding test users", messages)
    if raw.get("machine"):
        fields["machine"] = _parse_bool(
            "machine", raw["machine"], "excluding automated opens and clicks", messages
        )
    for name in ("variant", "action", "figure"):
        if raw.get(name):
            fields[name] = raw[name]

    gran = raw.get("gran")
    if gran:
        if gran in GRANULARITIES:
            fields["gran"] = gran
        else:
            messages.append(f"`gran={gran}` is not day, week or month, so day is used.")
    split = raw.get("split")
    if split:
        if split in SPLITS:
            fields["split"] = split
        else:
            messages.append(f"`split={split}` is not variant, platform or action: no split.")

    try:
        return ViewState.model_validate(fields), messages
    except ValidationError as error:  # pragma: no cover - every field is checked above
        messages.append(f"The link could not be read ({error.errors()[0]['msg']}).")
        return ViewState(tz=tz), messages


def campaign_range(campaign: Mapping[str, object], tz: str) -> tuple[dt.date, dt.date]:
    """`data.scope.default_range` of a `data.queries.catalog.list_campaigns` row."""
    started, newest = campaign["started_at"], campaign.get("last_event_at")
    if not isinstance(started, dt.datetime):
        raise TypeError(f"started_at is not a datetime: {started!r}")
    return default_range(started, newest if isinstance(newest, dt.datetime) else None, tz)


def resolve_view(
    state: ViewState,
    campaigns: pl.DataFrame,
    variant_ids: Iterable[str] | None = None,
    action_ids: Iterable[str] | None = None,
    figures: Iterable[str] | None = None,
) -> tuple[ViewState, list[str]]:
    """Check a parsed view against the catalog and fill every default.

    `campaigns` is `data.queries.catalog.list_campaigns`. An unknown campaign falls back to the
    newest one; missing dates to the campaign's default range; a variant, action or
    figure the campaign does not have is dropped. Each fallback comes with a message.
    `variant_ids` / `action_ids` / `figures` are checked only when given, because they
    depend on the campaign that this function picks (call it again once they are known).
    """
    messages: list[str] = []
    if campaigns.is_empty():
        return state, ["There are no campaigns in the database yet: import events first."]
    ids = campaigns["campaign_id"].to_list()
    campaign = state.campaign
    changes: dict[str, object] = {}
    if campaign not in ids:
        if campaign is not None:
            messages.append(
                f"There is no campaign `{campaign}`: showing the newest campaign instead. "
                "Pick another one in the sidebar."
            )
            # The dates and drill-downs of a link belong to the campaign it named.
            changes.update(start=None, end=None, variant=None, action=None)
        campaign = ids[0]
        changes["campaign"] = campaign
    row = campaigns.row(ids.index(campaign), named=True)
    # `changes` holds a date only as None so far: the link's dates dropped with its campaign.
    start = None if "start" in changes else state.start
    end = None if "end" in changes else state.end
    default_start, default_end = campaign_range(row, state.tz)
    if start is None:
        start = default_start
    if end is None:
        end = max(default_end, start)
    if end < start:
        messages.append(
            f"The end date {end.isoformat()} is before the start date {start.isoformat()}, "
            "so the campaign's whole range is shown."
        )
        start, end = default_start, default_end
    changes.update(start=start, end=end)

    checks = (
        ("variant", variant_ids, "variant"),
        ("action", action_ids, "action"),
        ("figure", figures, "figure to explore"),
    )
    for name, allowed, label in checks:
        value = changes.get(name, getattr(state, name))
        if value is not None and allowed is not None and value not in set(allowed):
            messages.append(f"Campaign `{campaign}` has no {label} `{value}`: it is not applied.")
            changes[name] = None
    return state.model_copy(update=changes), messages


def preset_range(
    preset: str, campaign: Mapping[str, object], tz: str
) -> tuple[dt.date, dt.date] | None:
    """The dates of a range preset, or None for "custom".

    "Last N days" ends on the campaign's newest event day rather than today, so a
    finished campaign still shows its data and the link stays reproducible.
    """
    start, end = campaign_range(campaign, tz)
    days = {"last_7": 7, "last_30": 30, "last_90": 90}
    if preset == "lifetime":
        return start, end
    if preset in days:
        return end - dt.timedelta(days=days[preset] - 1), end
    return None


PRESETS: dict[str, str] = {
    "lifetime": "Campaign lifetime",
    "last_7": "Last 7 days",
    "last_30": "Last 30 days",
    "last_90": "Last 90 days",
    "custom": "Custom",
}


def matching_preset(start: dt.date, end: dt.date, campaign: Mapping[str, object], tz: str) -> str:
    """The preset whose dates are exactly [start, end], else "custom"."""
    for preset in PRESETS:
        if preset != "custom" and preset_range(preset, campaign, tz) == (start, end):
            return preset
    return "custom"


def query_string(query: Mapping[str, str]) -> str:
    """`?a=1&b=2` for a link, parameters in a stable order, values URL-encoded."""
    from urllib.parse import urlencode

    ordered = [(key, query[key]) for key in PARAM_ORDER if key in query]
    ordered += [(key, value) for key, value in query.items() if key not in PARAM_ORDER]
    return "?" + urlencode(ordered) if ordered else ""
