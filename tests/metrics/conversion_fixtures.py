"""Tiny builders for the conversion, attribution and sessions tests: rows you can read.

Every test writes its own handful of events with `event(...)` / `conversion(...)` and
loads them with `load(...)`, so the expected numbers sit next to the data they come from.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Unpack

import sqlalchemy as sa

from data.schema import actions, campaigns, conversions, message_events, sessions, users, variants
from data.scope import Scope
from metrics.report_model import CampaignInfo
from tests.support.scopes import ScopeFilters

UTC = dt.UTC
CAMPAIGN = "c1"
_ids = itertools.count()


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> dt.datetime:
    """An instant in March 2026 (UTC unless told otherwise): the tests' calendar."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def campaign_info(
    *,
    goal: str | None = "purchase",
    window_hours: int = 24,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
) -> CampaignInfo:
    return CampaignInfo(
        campaign_id=CAMPAIGN,
        name="Test campaign",
        channel="push",
        started_at=started_at or at(1),
        ended_at=ended_at,
        conversion_event=goal,
        conversion_window_hours=window_hours,
    )


def scope(start: int = 1, end: int = 10, **filters: Unpack[ScopeFilters]) -> Scope:
    """March `start`..`end` 2026 (inclusive local dates), UTC unless `tz` is given."""
    return Scope(
        campaign_id=CAMPAIGN,
        start=dt.date(2026, 3, start),
        end=dt.date(2026, 3, end),
        **filters,
    )


def event(
    user_id: str,
    event_type: str,
    occurred_at: dt.datetime,
    *,
    action_id: str | None = None,
    variant_id: str | None = None,
    is_machine: bool = False,
    campaign_id: str = CAMPAIGN,
) -> dict[str, object]:
    return {
        "event_id": f"e{next(_ids)}",
        "campaign_id": campaign_id,
        "user_id": user_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "action_id": action_id,
        "variant_id": variant_id,
        "is_machine": is_machine,
    }


def conversion(
    user_id: str,
    occurred_at: dt.datetime,
    revenue: float | None = None,
    *,
    event_name: str = "purchase",
    conversion_id: str | None = None,
) -> dict[str, object]:
    return {
        "conversion_id": conversion_id or f"k{next(_ids)}",
        "user_id": user_id,
        "event_name": event_name,
        "occurred_at": occurred_at,
        "revenue": revenue,
    }


def session(user_id: str, started_at: dt.datetime, seconds: float) -> dict[str, object]:
    return {
        "session_id": f"s{next(_ids)}",
        "user_id": user_id,
        "started_at": started_at,
        "duration_seconds": seconds,
    }


def load(
    engine: sa.Engine,
    campaign: CampaignInfo,
    *,
    events: Iterable[dict[str, object]] = (),
    conversion_rows: Iterable[dict[str, object]] = (),
    variant_rows: Iterable[tuple[str, bool]] = (),
    action_ids: Iterable[str] = (),
    user_rows: Iterable[tuple[str, bool]] = (),
    session_rows: Iterable[dict[str, object]] = (),
) -> None:
    """Write the campaign and the given rows; variants as (id, is_control), users as
    (id, is_test), actions by id in position order."""
    tables: list[tuple[sa.Table, list[dict[str, object]]]] = [
        (campaigns, [campaign.model_dump()]),
        (message_events, list(events)),
        (conversions, list(conversion_rows)),
        (
            variants,
            [
                {
                    "campaign_id": CAMPAIGN,
                    "variant_id": variant_id,
                    "name": variant_id,
                    "is_control": is_control,
                    "allocation": None,
                }
                for variant_id, is_control in variant_rows
            ],
        ),
        (
            actions,
            [
                {
                    "campaign_id": CAMPAIGN,
                    "action_id": action_id,
                    "name": action_id,
                    "channel": "push",
                    "position": position,
                }
                for position, action_id in enumerate(action_ids, start=1)
            ],
        ),
        (users, [{"user_id": u, "is_test": is_test} for u, is_test in user_rows]),
        (sessions, list(session_rows)),
    ]
    with engine.begin() as connection:
        for table, rows in tables:
            if rows:
                connection.execute(table.insert(), rows)
