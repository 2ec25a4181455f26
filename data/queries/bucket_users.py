"""Distinct users per local bucket (and split value), for Explore's user figures over time.

Explore draws users, engaged users and the open and conversion rates over time, as
Amplitude and GA4 do: each bucket's figure counts the users of that bucket (a week's users,
not a sum of its days). One statement: the in-range events grouped by (bucket, split,
user) into a set of event types (the user pass's bit masks, `data.queries.user_pass`), then the
users with each kind of event counted per bucket. It runs only when Explore asks for one of
these figures; the report never does.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from data.frames import fetch_frame
from data.local_time import date_of_day_number, local_bucket_number
from data.queries.events import scoped_events, split_expression
from data.queries.user_pass import RECEIPT_MASK, TYPE_BITS, event_type_bit, has_bits
from data.schema import message_events as e
from data.scope import Scope
from data.vocabulary import RECEIPT_TYPES, Granularity

BUCKET_USER_COLUMNS: tuple[str, ...] = (
    "users",
    "engaged_users",
    "unique_opens",
    "recipients",
    "receivers",
)
"""Per bucket: users of C (an `entered` event, or under an action filter a receipt of it),
users who opened or clicked, users who opened, recipients (a `delivered` event if C has
any, else a `sent` event and no `bounced` one in the bucket) and users with a receipt."""


def bucket_users(
    connection: sa.Connection,
    scope: Scope,
    granularity: Granularity,
    split_by: str | None,
    *,
    has_delivered: bool,
) -> pl.DataFrame:
    """Columns date, split ("all" without a split) and BUCKET_USER_COLUMNS; only buckets
    with events come back."""
    events = scoped_events(
        scope,
        event_types=sorted({"entered", "bounced", *RECEIPT_TYPES}),
        derived={
            "bucket": local_bucket_number(e.c.occurred_at, scope, granularity),
            "split": split_expression(split_by) if split_by else sa.literal("all"),
        },
        with_user_attributes=split_by == "platform",
    )
    per_user = (
        sa.select(
            events.c.bucket,
            events.c.split,
            sa.func.bit_or(event_type_bit(events.c.event_type, None)).label("types"),
        )
        .group_by(events.c.bucket, events.c.split, events.c.user_id)
        .subquery("per_user")
    )
    types = per_user.c.types
    entered = TYPE_BITS["entered"] if scope.action is None else RECEIPT_MASK
    recipient = (
        has_bits(types, TYPE_BITS["delivered"])
        if has_delivered
        else sa.and_(
            has_bits(types, TYPE_BITS["sent"]), sa.not_(has_bits(types, TYPE_BITS["bounced"]))
        )
    )
    conditions: dict[str, sa.ColumnElement[bool]] = {
        "users": has_bits(types, entered),
        "engaged_users": has_bits(types, TYPE_BITS["opened"] | TYPE_BITS["clicked"]),
        "unique_opens": has_bits(types, TYPE_BITS["opened"]),
        "recipients": recipient,
        "receivers": has_bits(types, RECEIPT_MASK),
    }
    query = sa.select(
        per_user.c.bucket,
        per_user.c.split,
        *(
            sa.func.sum(sa.case((condition, 1), else_=0)).label(name)
            for name, condition in conditions.items()
        ),
    ).group_by(per_user.c.bucket, per_user.c.split)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {"bucket": pl.Int64, "split": pl.String}
    schema |= dict.fromkeys(BUCKET_USER_COLUMNS, pl.Int64)
    frame = fetch_frame(connection, query, schema=schema)
    return frame.select(
        date_of_day_number(pl.col("bucket")).alias("date"),
        "split",
        *(pl.col(name).fill_null(0) for name in BUCKET_USER_COLUMNS),
    )
