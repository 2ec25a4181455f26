"""The scope's message events, and the reductions over them that the headline figures need.

`scoped_events` is the one place that applies the glossary's "Scope" section (campaign,
range, test users, automated opens and clicks, one variant, one action), so every query
reads the same events. Everything here is a reduction run in the database: what comes back
is one row, or one row per bucket (x split value), never one row per event.

Exact distinct counts are what costs: the totals take them all from one per-user pass
(one hash aggregate over users) instead of one `count(DISTINCT ...)` per figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa

from data.frames import fetch_frame
from data.local_time import date_of_day_number, local_bucket_number
from data.schema import message_events, users
from data.scope import Scope
from data.vocabulary import MACHINE_PRONE_TYPES, SPLIT_COLUMNS, Granularity

UNKNOWN = "unknown"

e = message_events


def scope_conditions(scope: Scope, *, in_range: bool = True) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of the scope: the same for every figure.

    `in_range=False` drops only the date range, for the glossary's "any time" reads.
    """
    conditions: list[sa.ColumnElement[bool]] = [e.c.campaign_id == scope.campaign_id]
    if in_range:
        conditions += [
            e.c.occurred_at >= scope.range_start_utc,
            e.c.occurred_at < scope.range_end_utc,
        ]
    conditions += filter_conditions(
        exclude_test_users=scope.exclude_test_users, exclude_machine=scope.exclude_machine
    )
    if scope.variant is not None:
        conditions.append(e.c.variant_id == scope.variant)
    if scope.action is not None:
        conditions.append(e.c.action_id == scope.action)
    return conditions


def filter_conditions(
    *, exclude_test_users: bool, exclude_machine: bool
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of the view's two flags, for reads of any campaign or of all.

    "Exclude test users" drops users whose users row says is_test (no row: not a test
    user); "exclude automated" drops machine opens and clicks.
    """
    conditions: list[sa.ColumnElement[bool]] = []
    if exclude_test_users:
        test_users = sa.select(users.c.user_id).where(users.c.is_test.is_(True))
        conditions.append(e.c.user_id.not_in(test_users))
    if exclude_machine:
        conditions.append(
            sa.or_(e.c.event_type.not_in(MACHINE_PRONE_TYPES), e.c.is_machine.is_(False))
        )
    return conditions


def resolved_platform() -> sa.ColumnElement[str]:
    """The event's platform, else the user's, else `unknown` (needs the users join)."""
    return sa.func.coalesce(e.c.platform, users.c.platform, sa.literal(UNKNOWN))


def resolved_device() -> sa.ColumnElement[str]:
    """The event's device model, else the user's, else `unknown` (needs the users join)."""
    return sa.func.coalesce(e.c.device_model, users.c.device_model, sa.literal(UNKNOWN))


def scoped_events(
    scope: Scope,
    *,
    event_types: Sequence[str] | None = None,
    derived: Mapping[str, sa.ColumnElement[Any]] | None = None,
    with_user_attributes: bool = False,
    in_range: bool = True,
) -> sa.Subquery:
    """The scope's events as a subquery named `events`, with optional derived columns.

    `derived` adds named columns (local buckets, split values) computed once per event, so
    that outer queries group by a plain column. `with_user_attributes` joins `users` for
    the platform and device fallbacks (only when asked: the join costs on big tables).
    """
    columns: list[sa.ColumnElement[Any]] = [
        e.c.user_id,
        e.c.event_type,
        e.c.occurred_at,
        e.c.run_id,
        e.c.action_id,
        e.c.variant_id,
        e.c.bounce_type,
        e.c.error_code,
        e.c.link_url,
    ]
    source: sa.FromClause = e
    if with_user_attributes:
        columns += [resolved_platform().label("platform"), resolved_device().label("device_model")]
        source = e.outerjoin(users, users.c.user_id == e.c.user_id)
    for name, expression in (derived or {}).items():
        columns.append(expression.label(name))
    conditions = scope_conditions(scope, in_range=in_range)
    if event_types is not None:
        conditions.append(e.c.event_type.in_(list(event_types)))
    return sa.select(*columns).select_from(source).where(*conditions).subquery("events")


def split_expression(split_by: str) -> sa.ColumnElement[str]:
    """The value an event is split under; missing variants and actions read `(none)`."""
    if split_by == "platform":
        return resolved_platform()
    if split_by in ("variant_id", "action_id"):
        return sa.func.coalesce(e.c[split_by], sa.literal("(none)"))
    raise ValueError(f"cannot split by {split_by!r}: use one of {', '.join(SPLIT_COLUMNS)}")


def is_type(events: sa.Subquery, event_type: str) -> sa.ColumnElement[bool]:
    return events.c.event_type == event_type


def hard_bounce(events: sa.Subquery) -> sa.ColumnElement[bool]:
    """A `bounced` event whose bounce_type is `hard` or NULL (NULL counts as hard)."""
    return sa.and_(
        is_type(events, "bounced"),
        sa.or_(events.c.bounce_type.is_(None), events.c.bounce_type == "hard"),
    )


def soft_bounce(events: sa.Subquery) -> sa.ColumnElement[bool]:
    return sa.and_(is_type(events, "bounced"), events.c.bounce_type == "soft")


def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """`count(*) FILTER (WHERE condition)`: conditional aggregation, on both backends."""
    return sa.func.count().filter(condition)


def distinct_users_where(
    events: sa.Subquery, condition: sa.ColumnElement[bool]
) -> sa.ColumnElement[int]:
    return sa.func.count(sa.distinct(events.c.user_id)).filter(condition)


def campaign_has_delivered(connection: sa.Connection, scope: Scope) -> bool:
    """Whether C has any `delivered` event at all (any time, any user).

    The variant and action filters still apply: under them C is read as if its only
    events were those carrying that variant or action. The range and the test-user filter
    do not ("any time, any user").
    """
    conditions = [e.c.campaign_id == scope.campaign_id, e.c.event_type == "delivered"]
    if scope.variant is not None:
        conditions.append(e.c.variant_id == scope.variant)
    if scope.action is not None:
        conditions.append(e.c.action_id == scope.action)
    query = sa.select(sa.literal(1)).where(*conditions).limit(1)
    return bool(connection.execute(query).all())


BUCKET_COUNT_COLUMNS: tuple[str, ...] = (
    "messages_sent",
    "delivered_events",
    "hard_bounces",
    "soft_bounces",
    "impressions",
    "opens",
    "clicks",
    "dismissals",
    "unique_impressions",
)

BUCKET_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {"date": pl.Date, "split": pl.String}


def _bucketed_events(
    scope: Scope, granularity: Granularity, split_by: str | None, event_types: Sequence[str]
) -> sa.Subquery:
    """In-range events of `event_types` with their local bucket (a day number) and split."""
    return scoped_events(
        scope,
        event_types=event_types,
        derived={
            "bucket": local_bucket_number(e.c.occurred_at, scope, granularity),
            "split": split_expression(split_by) if split_by else sa.literal("all"),
        },
        with_user_attributes=split_by == "platform",
    )


def _with_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """Replace the `bucket` day numbers of a frame by a `date` column."""
    return frame.with_columns(date_of_day_number(pl.col("bucket")).alias("date")).drop("bucket")


def bucket_counts(
    connection: sa.Connection,
    scope: Scope,
    granularity: Granularity,
    split_by: str | None = None,
) -> pl.DataFrame:
    """Per local bucket (and split value): event counts and users with an impression.

    Columns: date, split, and BUCKET_COUNT_COLUMNS. Only buckets with events come back;
    the series fills in the empty ones. Two statements: the counts (cheap), and the users
    with an impression, which read impression events only.
    """
    events = _bucketed_events(
        scope,
        granularity,
        split_by,
        ["sent", "delivered", "bounced", "impression", "opened", "clicked", "dismissed"],
    )
    query = sa.select(
        events.c.bucket,
        events.c.split,
        count_where(is_type(events, "sent")).label("messages_sent"),
        count_where(is_type(events, "delivered")).label("delivered_events"),
        count_where(hard_bounce(events)).label("hard_bounces"),
        count_where(soft_bounce(events)).label("soft_bounces"),
        count_where(is_type(events, "impression")).label("impressions"),
        count_where(is_type(events, "opened")).label("opens"),
        count_where(is_type(events, "clicked")).label("clicks"),
        count_where(is_type(events, "dismissed")).label("dismissals"),
    ).group_by(events.c.bucket, events.c.split)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {"bucket": pl.Int64, "split": pl.String}
    schema |= {name: pl.Int64 for name in BUCKET_COUNT_COLUMNS if name != "unique_impressions"}
    counts = _with_dates(fetch_frame(connection, query, schema=schema))
    uniques = impression_users(connection, scope, granularity, split_by)
    return (
        counts.join(uniques, on=["date", "split"], how="full", coalesce=True)
        .with_columns(pl.col(BUCKET_COUNT_COLUMNS).fill_null(0))
        .select("date", "split", *BUCKET_COUNT_COLUMNS)
    )


def impression_users(
    connection: sa.Connection,
    scope: Scope,
    granularity: Granularity,
    split_by: str | None = None,
) -> pl.DataFrame:
    """Users with an in-range impression per local bucket (and split): date, split,
    unique_impressions. Reads impression events only, so it costs nothing for a push."""
    events = _bucketed_events(scope, granularity, split_by, ["impression"])
    query = sa.select(
        events.c.bucket,
        events.c.split,
        sa.func.count(sa.distinct(events.c.user_id)).label("unique_impressions"),
    ).group_by(events.c.bucket, events.c.split)
    schema = {"bucket": pl.Int64, "split": pl.String, "unique_impressions": pl.Int64}
    return _with_dates(fetch_frame(connection, query, schema=schema)).select(
        "date", "split", "unique_impressions"
    )


def first_impression_buckets(
    connection: sa.Connection,
    scope: Scope,
    granularity: Granularity,
    split_by: str | None = None,
) -> pl.DataFrame:
    """Users counted once, in the local bucket of their first in-range impression.

    Columns: date, split, new_users. Their running sum is the cumulative unique
    impressions: a returning user adds nothing after their first bucket.
    """
    derived = {"split": split_expression(split_by) if split_by else sa.literal("all")}
    events = scoped_events(
        scope,
        event_types=["impression"],
        derived=derived,
        with_user_attributes=split_by == "platform",
    )
    firsts = (
        sa.select(events.c.split, sa.func.min(events.c.occurred_at).label("first_impression_at"))
        .group_by(events.c.user_id, events.c.split)
        .subquery("firsts")
    )
    bucketed = sa.select(
        firsts.c.split,
        local_bucket_number(firsts.c.first_impression_at, scope, granularity).label("bucket"),
    ).subquery("bucketed")
    query = sa.select(
        bucketed.c.bucket, bucketed.c.split, sa.func.count().label("new_users")
    ).group_by(bucketed.c.bucket, bucketed.c.split)
    schema = {"bucket": pl.Int64, "split": pl.String, "new_users": pl.Int64}
    return _with_dates(fetch_frame(connection, query, schema=schema)).select(
        "date", "split", "new_users"
    )
