"""Tiny inline datasets for the metrics tests: a campaign and a few events, by hand.

`event("u1", "opened", "2026-03-01 09:00")` reads like the line of a table on paper, so a
test's expected numbers can be worked out from the data right above them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import polars as pl
import sqlalchemy as sa

from data.ingest.bulk import bulk_insert

CAMPAIGN = "c1"
_ids = itertools.count()

EVENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "event_id": pl.String,
    "campaign_id": pl.String,
    "user_id": pl.String,
    "event_type": pl.String,
    "occurred_at": pl.Datetime("us", "UTC"),
    "run_id": pl.String,
    "action_id": pl.String,
    "variant_id": pl.String,
    "platform": pl.String,
    "device_model": pl.String,
    "bounce_type": pl.String,
    "error_code": pl.String,
    "link_url": pl.String,
    "is_machine": pl.Boolean,
}


def at(text: str) -> dt.datetime:
    """A UTC instant from "YYYY-MM-DD HH:MM"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def event(user_id: str, event_type: str, occurred_at: str, **columns: Any) -> dict[str, Any]:
    """One message event of campaign c1 (unless campaign_id is given), at a UTC time."""
    row: dict[str, Any] = dict.fromkeys(EVENT_SCHEMA)
    row |= {
        "event_id": f"e{next(_ids)}",
        "campaign_id": CAMPAIGN,
        "user_id": user_id,
        "event_type": event_type,
        "occurred_at": at(occurred_at),
        "is_machine": False,
    }
    row |= columns
    return row


def campaign_row(
    campaign_id: str = CAMPAIGN,
    started_at: str = "2026-03-01 00:00",
    conversion_event: str | None = None,
    **columns: Any,
) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "name": f"Campaign {campaign_id}",
        "channel": "push",
        "started_at": at(started_at),
        "ended_at": None,
        "conversion_event": conversion_event,
        "conversion_window_hours": 72,
    } | columns


def load(
    engine: sa.Engine,
    *,
    events: list[dict[str, Any]],
    campaigns: list[dict[str, Any]] | None = None,
    users: list[dict[str, Any]] | None = None,
    variants: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
    conversions: list[dict[str, Any]] | None = None,
) -> None:
    """Write the rows (default: campaign c1 started 2026-03-01) in one transaction."""
    with engine.begin() as connection:
        bulk_insert(
            connection,
            "campaigns",
            pl.DataFrame(
                campaigns or [campaign_row()],
                schema_overrides={
                    "started_at": pl.Datetime("us", "UTC"),
                    "ended_at": pl.Datetime("us", "UTC"),
                    "conversion_event": pl.String,
                },
            ),
        )
        bulk_insert(connection, "message_events", pl.DataFrame(events, schema=EVENT_SCHEMA))
        if users:
            bulk_insert(connection, "users", pl.DataFrame(users))
        if variants:
            bulk_insert(connection, "variants", pl.DataFrame(variants))
        if actions:
            bulk_insert(connection, "actions", pl.DataFrame(actions))
        if conversions:
            frame = pl.DataFrame(
                conversions, schema_overrides={"revenue": pl.Float64}
            ).with_columns(
                pl.col("occurred_at").map_elements(at, return_dtype=pl.Datetime("us", "UTC"))
            )
            bulk_insert(connection, "conversions", frame)


def clear(engine: sa.Engine) -> None:
    """Empty every table (for property tests that load many datasets into one database)."""
    from data.schema import metadata

    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
