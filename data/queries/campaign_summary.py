"""The Campaigns page's figures for every campaign at once, from one summary statement.

The page lists each campaign over its default range (its start to its newest event, in the
sidebar's zone) with audience, sends and four rates. Computed as one `campaign_kpis` per
campaign, that is three passes over the events and a handful of look-ups per campaign:
with 1,000 campaigns, thousands of statements and minutes of waiting. Here it is two
statements whatever the number of campaigns: the catalog (`data.queries.catalog.list_campaigns`,
which also gives each campaign's newest event, hence its range), then one statement that
reads the events of all campaigns together:

- counts by campaign (sends, receipts, bounces, impressions, clicks) over in-range events;
- one grouping by (campaign, user) with the event types as bit masks (`data.queries.user_pass`'s
  TYPE_BITS), counted per campaign into the distinct-user figures;
- the converters' anchors (first receipt, any time) from the events of users with a goal
  conversion in range only, joined to their conversions inside the inclusive window;
- which campaigns have any `delivered` event at all (any time, any user).

Per-campaign ranges and windows are a VALUES table of bound parameters, so the range
test is a join, not a statement per campaign.

Measured on the 1,000-campaign demo (430k events, `benchmarks.campaigns_page`, a 2-core
machine shared with other work, load average about 11): the summary takes 0.9 s warm,
where `campaign_kpis` took 0.14 s per campaign, 136 s for all of them; the page renders in
1.0 s with empty caches and 0.04 s from its cache. What comes back is one row per campaign of
plain counts; `metrics.campaign_summary` turns them into the page's rates with the very
functions the report uses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import sqlalchemy as sa

from data.frames import fetch_frame
from data.queries.catalog import list_campaigns
from data.queries.events import (
    count_where,
    filter_conditions,
    hard_bounce,
    is_type,
    soft_bounce,
)
from data.queries.user_pass import (
    CONTROL_ENTRY_BIT,
    RECEIPT_MASK,
    TYPE_BITS,
    event_type_bit,
    has_bits,
    or_where,
)
from data.schema import campaigns, conversions, message_events, variants
from data.scope import default_range, local_midnight_utc, zone_named

COUNT_COLUMNS: tuple[str, ...] = (
    "messages_sent",
    "delivered_events",
    "hard_bounces",
    "soft_bounces",
    "impressions",
    "clicks",
)
"""Event counts of the summary, named as `metrics.delivery.delivered_expr` reads them."""

USER_COLUMNS: tuple[str, ...] = (
    "audience_size",
    "unique_opens",
    "unique_clicks",
    "delivered_users",
    "sent_unbounced_users",
    "receivers",
    "converted_users",
)
"""Distinct-user counts of the summary (the glossary's keys where it has one)."""

SUMMARY_SCHEMA = pl.Schema(
    {
        "campaign_id": pl.String(),
        "name": pl.String(),
        "channel": pl.String(),
        "started_at": pl.Datetime("us", "UTC"),
        "ended_at": pl.Datetime("us", "UTC"),
        "conversion_event": pl.String(),
        "start": pl.Date(),
        "end": pl.Date(),
        "has_delivered": pl.Boolean(),
        **dict.fromkeys(COUNT_COLUMNS, pl.Int64()),
        **dict.fromkeys(USER_COLUMNS, pl.Int64()),
    }
)

_CONTROL_BITS = TYPE_BITS["control"] | CONTROL_ENTRY_BIT


def _ranges(catalog: pl.DataFrame, tz: str) -> tuple[pl.DataFrame, sa.CTE]:
    """Each campaign's default dates (a frame) and its range and window as bound VALUES
    (one CTE, so the parameters are bound once however often the statement reads them)."""
    zone = zone_named(tz)
    dates: list[tuple[str, dt.date, dt.date]] = []
    rows: list[tuple[str, dt.datetime, dt.datetime, dt.timedelta]] = []
    for campaign_id, started_at, newest, window_hours in catalog.select(
        "campaign_id", "started_at", "last_event_at", "conversion_window_hours"
    ).iter_rows():
        start, end = default_range(started_at, newest, tz)
        dates.append((campaign_id, start, end))
        rows.append(
            (
                campaign_id,
                local_midnight_utc(start, zone),
                local_midnight_utc(end + dt.timedelta(days=1), zone),
                dt.timedelta(hours=int(window_hours)),
            )
        )
    frame = pl.DataFrame(
        dates, schema={"campaign_id": pl.String, "start": pl.Date, "end": pl.Date}, orient="row"
    )
    values = sa.values(
        sa.column("campaign_id", sa.Text),
        sa.column("range_start", sa.DateTime(timezone=True)),
        sa.column("range_end", sa.DateTime(timezone=True)),
        sa.column("conversion_window", sa.Interval),
        name="range_rows",
    ).data(rows)
    return frame, sa.select(values).cte("ranges")


def _events(ranges: sa.CTE, *, exclude_test_users: bool, exclude_machine: bool) -> sa.Subquery:
    """Every campaign's events with the flags applied (any time), each with its type bit
    and whether it falls in its campaign's range."""
    e = message_events
    controls = (
        sa.select(variants.c.campaign_id, variants.c.variant_id)
        .where(variants.c.is_control.is_(True))
        .subquery("controls")
    )
    # One join per SELECT: ClickHouse 18.16 runs no more. DuckDB flattens the nesting:
    # the summary with the flags took 1.18 s on 1,000 campaigns against 1.32 s before, and
    # 9.4-14.1 s on the 10M demo against 9.4-13.5 s (three runs each, a loaded machine).
    ranged = (
        sa.select(
            e.c.campaign_id,
            e.c.user_id,
            e.c.event_type,
            e.c.occurred_at,
            e.c.bounce_type,
            e.c.variant_id,
            ranges.c.range_start,
            ranges.c.range_end,
        )
        .select_from(e.join(ranges, ranges.c.campaign_id == e.c.campaign_id))
        .where(
            *filter_conditions(
                exclude_test_users=exclude_test_users, exclude_machine=exclude_machine
            )
        )
        .subquery("ranged")
    )
    source = ranged.outerjoin(
        controls,
        sa.and_(
            controls.c.campaign_id == ranged.c.campaign_id,
            controls.c.variant_id == ranged.c.variant_id,
        ),
    )
    return (
        sa.select(
            ranged.c.campaign_id,
            ranged.c.user_id,
            ranged.c.event_type,
            ranged.c.occurred_at,
            ranged.c.bounce_type,
            event_type_bit(ranged.c.event_type, controls.c.variant_id.is_not(None)).label(
                "type_bit"
            ),
            sa.and_(
                ranged.c.occurred_at >= ranged.c.range_start,
                ranged.c.occurred_at < ranged.c.range_end,
            ).label("in_range"),
        )
        .select_from(source)
        .subquery("events")
    )


def _counts(events: sa.Subquery) -> sa.Subquery:
    """Per campaign, the in-range event counts."""
    counted = {
        "messages_sent": is_type(events, "sent"),
        "delivered_events": is_type(events, "delivered"),
        "hard_bounces": hard_bounce(events),
        "soft_bounces": soft_bounce(events),
        "impressions": is_type(events, "impression"),
        "clicks": is_type(events, "clicked"),
    }
    return (
        sa.select(
            events.c.campaign_id,
            *(count_where(condition).label(name) for name, condition in counted.items()),
        )
        .where(events.c.in_range)
        .group_by(events.c.campaign_id)
        .subquery("counts")
    )


def _user_totals(events: sa.Subquery) -> sa.Subquery:
    """Per campaign, the distinct-user counts, from one grouping by (campaign, user)."""
    bit = events.c.type_bit
    people = (
        sa.select(
            events.c.campaign_id,
            or_where(events.c.in_range, bit, "types"),
            or_where(sa.true(), bit, "types_ever"),
        )
        .group_by(events.c.campaign_id, events.c.user_id)
        .subquery("people")
    )
    types = people.c.types
    treatment = sa.not_(has_bits(people.c.types_ever, _CONTROL_BITS))
    counted = {
        "audience_size": has_bits(types, TYPE_BITS["entered"]),
        "unique_opens": has_bits(types, TYPE_BITS["opened"]),
        "unique_clicks": has_bits(types, TYPE_BITS["clicked"]),
        "delivered_users": has_bits(types, TYPE_BITS["delivered"]),
        "sent_unbounced_users": sa.and_(
            has_bits(types, TYPE_BITS["sent"]), sa.not_(has_bits(types, TYPE_BITS["bounced"]))
        ),
        "receivers": sa.and_(treatment, has_bits(types, RECEIPT_MASK)),
    }
    return (
        sa.select(
            people.c.campaign_id,
            *(count_where(condition).label(name) for name, condition in counted.items()),
        )
        .group_by(people.c.campaign_id)
        .subquery("user_totals")
    )


def _goal_conversions(ranges: sa.CTE) -> sa.Subquery:
    """Conversions of each campaign's goal inside its range (campaigns without a goal
    have none)."""
    goals = (
        sa.select(campaigns.c.campaign_id, conversions.c.user_id, conversions.c.occurred_at)
        .select_from(
            conversions.join(campaigns, campaigns.c.conversion_event == conversions.c.event_name)
        )
        .subquery("goals")
    )
    return (
        sa.select(ranges.c.campaign_id, goals.c.user_id, goals.c.occurred_at)
        .select_from(goals.join(ranges, ranges.c.campaign_id == goals.c.campaign_id))
        .where(
            goals.c.occurred_at >= ranges.c.range_start,
            goals.c.occurred_at < ranges.c.range_end,
        )
        .subquery("goal_conversions")
    )


def _converted(ranges: sa.CTE, events: sa.Subquery) -> sa.Subquery:
    """Per campaign, treatment users with a conversion in [anchor, anchor + window].

    Only the events of users with a goal conversion in range are grouped (nobody else's
    anchor can matter), as `data.queries.conversions.qualifying_conversions` does for one
    campaign. The anchor is the first receipt over all time, with the flags applied.
    """
    in_range = _goal_conversions(ranges)
    converters = (
        sa.select(in_range.c.campaign_id, in_range.c.user_id).distinct().subquery("converters")
    )
    bit = events.c.type_bit
    anchors = (
        sa.select(
            events.c.campaign_id,
            events.c.user_id,
            or_where(sa.true(), bit, "types_ever"),
            sa.func.min(sa.case((has_bits(bit, RECEIPT_MASK), events.c.occurred_at))).label(
                "anchor"
            ),
        )
        .select_from(
            events.join(
                converters,
                sa.and_(
                    converters.c.campaign_id == events.c.campaign_id,
                    converters.c.user_id == events.c.user_id,
                ),
            )
        )
        .group_by(events.c.campaign_id, events.c.user_id)
        .subquery("anchors")
    )
    goal = _goal_conversions(ranges)
    paired = (
        sa.select(
            anchors.c.campaign_id,
            anchors.c.user_id,
            anchors.c.types_ever,
            anchors.c.anchor,
            goal.c.occurred_at,
        )
        .select_from(
            anchors.join(
                goal,
                sa.and_(
                    goal.c.campaign_id == anchors.c.campaign_id,
                    goal.c.user_id == anchors.c.user_id,
                ),
            )
        )
        .subquery("paired")
    )
    window_ranges = ranges.alias("window_ranges")
    return (
        sa.select(
            paired.c.campaign_id,
            sa.func.count(sa.distinct(paired.c.user_id)).label("converted_users"),
        )
        .select_from(
            paired.join(window_ranges, window_ranges.c.campaign_id == paired.c.campaign_id)
        )
        .where(
            sa.not_(has_bits(paired.c.types_ever, _CONTROL_BITS)),
            paired.c.anchor.is_not(None),
            paired.c.occurred_at >= paired.c.anchor,
            paired.c.occurred_at <= paired.c.anchor + window_ranges.c.conversion_window,
        )
        .group_by(paired.c.campaign_id)
        .subquery("converted")
    )


def _with_delivered() -> sa.Subquery:
    """Campaigns with any `delivered` event at all (any time, any user, no flags)."""
    e = message_events
    return (
        # A flag beside the key: ClickHouse 18.16 fills a LEFT JOIN's unmatched key column
        # with '' rather than NULL (other columns are NULL under join_use_nulls).
        sa.select(e.c.campaign_id.label("delivered_campaign_id"), sa.literal(1).label("seen"))
        .where(e.c.event_type == "delivered")
        .distinct()
        .subquery("with_delivered")
    )


def summary_query(
    ranges: sa.CTE, *, exclude_test_users: bool, exclude_machine: bool
) -> sa.Select[Any]:
    """One row per campaign of `ranges`: has_delivered, COUNT_COLUMNS and USER_COLUMNS."""
    events = _events(ranges, exclude_test_users=exclude_test_users, exclude_machine=exclude_machine)
    counts = _counts(events)
    users = _user_totals(events)
    converted = _converted(ranges, events)
    delivered = _with_delivered()
    step = sa.select(
        ranges.c.campaign_id,
        *(sa.func.coalesce(counts.c[name], 0).label(name) for name in COUNT_COLUMNS),
    ).select_from(ranges.outerjoin(counts, counts.c.campaign_id == ranges.c.campaign_id))
    for part, names in (
        (users, USER_COLUMNS[:-1]),
        (converted, ["converted_users"]),
    ):
        done = step.subquery()
        step = sa.select(
            *done.c,
            *(sa.func.coalesce(part.c[name], 0).label(name) for name in names),
        ).select_from(done.outerjoin(part, part.c.campaign_id == done.c.campaign_id))
    done = step.subquery()
    return sa.select(
        done.c.campaign_id,
        delivered.c.seen.is_not(None).label("has_delivered"),
        *(done.c[name] for name in COUNT_COLUMNS),
        *(done.c[name] for name in USER_COLUMNS[:-1]),
        done.c.converted_users,
    ).select_from(
        done.outerjoin(delivered, delivered.c.delivered_campaign_id == done.c.campaign_id)
    )


def campaign_summary(
    connection: sa.Connection,
    tz: str = "UTC",
    *,
    exclude_test_users: bool = False,
    exclude_machine: bool = False,
) -> pl.DataFrame:
    """Every campaign over its default range in `tz`, with the view's flags: the catalog
    columns, start and end (local dates), has_delivered and the summary's counts.

    In the catalog's order (newest start first). converted_users is 0 for a campaign
    without a goal; `metrics.campaign_summary` makes its conversion figures null.
    """
    catalog = list_campaigns(connection)
    if catalog.is_empty():
        return pl.DataFrame(schema=SUMMARY_SCHEMA)
    dates, ranges = _ranges(catalog, tz)
    query = summary_query(
        ranges, exclude_test_users=exclude_test_users, exclude_machine=exclude_machine
    )
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "campaign_id": pl.String,
        "has_delivered": pl.Boolean,
        **dict.fromkeys(COUNT_COLUMNS, pl.Int64),
        **dict.fromkeys(USER_COLUMNS, pl.Int64),
    }
    figures = fetch_frame(connection, query, schema=schema)
    return (
        catalog.join(dates, on="campaign_id", how="left", maintain_order="left")
        .join(figures, on="campaign_id", how="left", maintain_order="left")
        .select(list(SUMMARY_SCHEMA))
        .cast(SUMMARY_SCHEMA)
    )
