"""Reductions of the scope's events by one dimension: variant, action, run, link, platform
and device, and local date x hour for open times.

Each returns one row per value of its dimension (bounded by the campaign's variants,
actions, runs, links, platforms or by days x 24), never one row per event.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from data.event_queries import (
    count_where,
    distinct_users_where,
    hard_bounce,
    is_type,
    scoped_events,
    soft_bounce,
)
from data.frames import fetch_frame
from data.scope import Scope


def platform_device_counts(connection: sa.Connection, scope: Scope) -> pl.DataFrame:
    """Impressions, opens and clicks per (platform, device_model), with user fallbacks.

    One query for both splits: the platform and device frames are its two roll-ups.
    """
    events = scoped_events(
        scope, event_types=["impression", "opened", "clicked"], with_user_attributes=True
    )
    query = sa.select(
        events.c.platform,
        events.c.device_model,
        count_where(is_type(events, "impression")).label("impressions"),
        count_where(is_type(events, "opened")).label("opens"),
        count_where(is_type(events, "clicked")).label("clicks"),
    ).group_by(events.c.platform, events.c.device_model)
    return fetch_frame(
        connection,
        query,
        schema={
            "platform": pl.String,
            "device_model": pl.String,
            "impressions": pl.Int64,
            "opens": pl.Int64,
            "clicks": pl.Int64,
        },
    )


RUN_COUNT_COLUMNS: tuple[str, ...] = (
    "endpoints_targeted",
    "messages_sent",
    "delivered_events",
    "hard_bounces",
    "soft_bounces",
    "opens",
    "unique_opens",
    "clicks",
)


def run_counts(connection: sa.Connection, scope: Scope) -> pl.DataFrame:
    """Per run_id with an in-range event: counts, distinct users and its first event time."""
    events = scoped_events(scope)
    query = (
        sa.select(
            events.c.run_id,
            distinct_users_where(events, is_type(events, "entered")).label("endpoints_targeted"),
            count_where(is_type(events, "sent")).label("messages_sent"),
            count_where(is_type(events, "delivered")).label("delivered_events"),
            count_where(hard_bounce(events)).label("hard_bounces"),
            count_where(soft_bounce(events)).label("soft_bounces"),
            count_where(is_type(events, "opened")).label("opens"),
            distinct_users_where(events, is_type(events, "opened")).label("unique_opens"),
            count_where(is_type(events, "clicked")).label("clicks"),
            sa.func.min(events.c.occurred_at).label("first_event_at"),
        )
        .where(events.c.run_id.is_not(None))
        .group_by(events.c.run_id)
    )
    schema: dict[str, pl.DataType | type[pl.DataType]] = {"run_id": pl.String}
    schema |= {name: pl.Int64 for name in RUN_COUNT_COLUMNS}
    schema["first_event_at"] = pl.Datetime("us", "UTC")
    return fetch_frame(connection, query, schema=schema)


def link_counts(connection: sa.Connection, scope: Scope) -> pl.DataFrame:
    """Per link_url of in-range `clicked` events: clicks and users who clicked it."""
    events = scoped_events(scope, event_types=["clicked"])
    query = (
        sa.select(
            events.c.link_url,
            sa.func.count().label("clicks"),
            sa.func.count(sa.distinct(events.c.user_id)).label("unique_clicks"),
        )
        .where(events.c.link_url.is_not(None))
        .group_by(events.c.link_url)
    )
    return fetch_frame(
        connection,
        query,
        schema={"link_url": pl.String, "clicks": pl.Int64, "unique_clicks": pl.Int64},
    )
