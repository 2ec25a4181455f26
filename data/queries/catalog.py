"""What campaigns exist and how fresh the data is: small lookups, no event scans.

These answer "which campaign?", "which range by default?" and "data as of when?", which
the app's filters, the Campaigns page and the report CLI all need before any figure.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa

from data.frames import fetch_frame
from data.schema import actions, campaigns, frame_schema, message_events, variants

CAMPAIGN_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    **frame_schema(campaigns),
    "first_event_at": pl.Datetime("us", "UTC"),
    "last_event_at": pl.Datetime("us", "UTC"),
    "events": pl.Int64,
}


def _as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Drivers differ on returning aware or naive UTC; we always hand out aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def list_campaigns(connection: sa.Connection) -> pl.DataFrame:
    """Every campaign with the time of its first and newest message event and its number
    of events (one scan of the table for all three).

    The newest event gives the default end of a campaign's range (glossary: "the local
    date of C's newest message event, all users"); the count lets a page say how much
    work a view is while it computes. Sorted newest start first.
    """
    bounds = (
        sa.select(
            message_events.c.campaign_id,
            sa.func.min(message_events.c.occurred_at).label("first_event_at"),
            sa.func.max(message_events.c.occurred_at).label("last_event_at"),
            sa.func.count().label("events"),
        )
        .group_by(message_events.c.campaign_id)
        .subquery()
    )
    query = (
        sa.select(
            campaigns,
            bounds.c.first_event_at,
            bounds.c.last_event_at,
            sa.func.coalesce(bounds.c.events, 0).label("events"),
        )
        .select_from(campaigns.outerjoin(bounds, bounds.c.campaign_id == campaigns.c.campaign_id))
        .order_by(campaigns.c.started_at.desc(), campaigns.c.campaign_id)
    )
    return fetch_frame(connection, query, schema=CAMPAIGN_SCHEMA)


def get_campaign(connection: sa.Connection, campaign_id: str) -> dict[str, object] | None:
    """The campaigns row of `campaign_id` (timestamps aware UTC), or None if unknown."""
    row = (
        connection.execute(sa.select(campaigns).where(campaigns.c.campaign_id == campaign_id))
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    result = dict(row)
    result["started_at"] = _as_utc(result["started_at"])
    result["ended_at"] = _as_utc(result["ended_at"])
    return result


def newest_campaign_event(connection: sa.Connection, campaign_id: str) -> dt.datetime | None:
    """Time of the campaign's newest message event (any user, any type), or None."""
    query = sa.select(sa.func.max(message_events.c.occurred_at)).where(
        message_events.c.campaign_id == campaign_id
    )
    return _as_utc(connection.execute(query).scalar())


def data_as_of(connection: sa.Connection) -> dt.datetime | None:
    """The newest `occurred_at` in all of message_events: how fresh the data is."""
    return _as_utc(
        connection.execute(sa.select(sa.func.max(message_events.c.occurred_at))).scalar()
    )


def campaign_variants(connection: sa.Connection, campaign_id: str) -> pl.DataFrame:
    """The variants rows of a campaign, in variant_id order."""
    query = (
        sa.select(variants)
        .where(variants.c.campaign_id == campaign_id)
        .order_by(variants.c.variant_id)
    )
    return fetch_frame(connection, query, schema=frame_schema(variants))


def campaign_actions(connection: sa.Connection, campaign_id: str) -> pl.DataFrame:
    """The actions rows of a campaign, in flow order."""
    query = (
        sa.select(actions)
        .where(actions.c.campaign_id == campaign_id)
        .order_by(actions.c.position, actions.c.action_id)
    )
    return fetch_frame(connection, query, schema=frame_schema(actions))
