"""Pushed-down queries behind the glossary's Conversions, Per action and Per variant figures.

Anchors (a user's first receipt, or first control/entered event, over all time), the
conversion window and the choice of the attributed action are all decided in SQL, so what
comes back is one row per qualifying conversion, one row per action or variant, or a
handful of totals: never raw events. Every query reads the campaign's message events
through `campaign_events`, which applies the scope's filters (test users, automated opens
and clicks, variant or action) once, so anchors and candidates follow them too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import sqlalchemy as sa

from data.event_queries import RECEIPT_TYPES, scope_conditions
from data.frames import fetch_frame
from data.schema import conversions, message_events, variants
from data.scope import Scope

INTERACTION_TYPES = ("opened", "clicked")
"""Events preferred over bare receipts when a conversion is attributed to an action."""

CONTROL_ENTRY_TYPES = ("entered", "control")
"""Events that anchor a control user and place them in the control group's figures."""


def _flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """1 where `condition` holds, else 0: a portable way to OR booleans with max()."""
    return sa.case((condition, 1), else_=0)


def campaign_events(scope: Scope, only_users: sa.Select[tuple[str]] | None = None) -> sa.Subquery:
    """The scope's campaign's message events, over all time, with every filter applied.

    "Exclude test users" drops users whose users row says is_test (no row: not a test
    user); "exclude automated" drops machine opens and clicks; a variant or action filter
    keeps only the events that carry that id, so anchors and candidates follow it.
    `only_users` (a select of user ids) narrows the read to those users before any
    grouping: the conversion queries need only the converters' events.
    """
    events = message_events
    conditions = scope_conditions(scope, in_range=False)
    if only_users is not None:
        conditions.append(events.c.user_id.in_(only_users))
    return (
        sa.select(
            events.c.event_id,
            events.c.user_id,
            events.c.event_type,
            events.c.occurred_at,
            events.c.action_id,
            events.c.variant_id,
        )
        .where(*conditions)
        .subquery()
    )


def _in_range(column: sa.ColumnElement[dt.datetime], scope: Scope) -> sa.ColumnElement[bool]:
    return sa.and_(column >= scope.range_start_utc, column < scope.range_end_utc)


def _control_variant_ids(campaign_id: str) -> sa.Select[tuple[str]]:
    return sa.select(variants.c.variant_id).where(
        variants.c.campaign_id == campaign_id, variants.c.is_control
    )


def per_user(events: sa.FromClause, scope: Scope) -> sa.Subquery:
    """One row per user of `events`: control membership, anchor and in-range flags.

    Control membership and anchors look at all time; the `*_in_range` flags are the
    "with a ... event in range" conditions of receivers, the sent-users denominator and
    control_users. The database drops the columns a query does not use.
    """
    is_control_event = sa.or_(
        events.c.event_type == "control",
        sa.and_(
            events.c.event_type == "entered",
            events.c.variant_id.in_(_control_variant_ids(scope.campaign_id)),
        ),
    )
    is_receipt = events.c.event_type.in_(RECEIPT_TYPES)
    is_entry = events.c.event_type.in_(CONTROL_ENTRY_TYPES)
    in_range = _in_range(events.c.occurred_at, scope)
    grouped = (
        sa.select(
            events.c.user_id,
            sa.func.max(_flag(is_control_event)).label("is_control"),
            sa.func.min(sa.case((is_receipt, events.c.occurred_at))).label("first_receipt"),
            sa.func.min(sa.case((is_entry, events.c.occurred_at))).label("first_entry"),
            sa.func.max(_flag(sa.and_(is_receipt, in_range))).label("received_in_range"),
            sa.func.max(_flag(sa.and_(events.c.event_type == "sent", in_range))).label(
                "sent_in_range"
            ),
            sa.func.max(_flag(sa.and_(is_entry, in_range))).label("entered_in_range"),
        )
        .group_by(events.c.user_id)
        .subquery()
    )
    anchor = sa.case(
        (grouped.c.is_control == 1, grouped.c.first_entry), else_=grouped.c.first_receipt
    )
    return sa.select(
        grouped.c.user_id,
        grouped.c.is_control,
        anchor.label("anchor"),
        grouped.c.received_in_range,
        grouped.c.sent_in_range,
        grouped.c.entered_in_range,
    ).subquery()


TOTALS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "receivers": pl.Int64,
    "sent_users": pl.Int64,
    "control_users": pl.Int64,
}


def load_user_totals(connection: sa.Connection, scope: Scope) -> dict[str, int]:
    """receivers, users with a `sent` event in range (sent_users) and control_users.

    One grouping by user, then three conditional counts: exact distinct counts for the
    price of one.
    """
    people = per_user(campaign_events(scope), scope)
    query = sa.select(
        sa.func.count()
        .filter(sa.and_(people.c.is_control == 0, people.c.received_in_range == 1))
        .label("receivers"),
        sa.func.count().filter(people.c.sent_in_range == 1).label("sent_users"),
        sa.func.count()
        .filter(sa.and_(people.c.is_control == 1, people.c.entered_in_range == 1))
        .label("control_users"),
    )
    row = fetch_frame(connection, query, schema=TOTALS_SCHEMA).row(0, named=True)
    return {key: int(value or 0) for key, value in row.items()}


def converting_users(scope: Scope, conversion_event: str) -> sa.Select[tuple[str]]:
    """Users with a conversion of the goal in range: the only ones whose anchors matter."""
    return sa.select(conversions.c.user_id).where(
        conversions.c.event_name == conversion_event, _in_range(conversions.c.occurred_at, scope)
    )


def converter_events(
    scope: Scope, conversion_event: str, *, shared: bool
) -> Callable[[], sa.FromClause]:
    """A maker of reads of the converters' filtered events, one per place a query needs them.

    `shared=True` (DuckDB) hands out one CTE, which DuckDB materialises: one scan of the
    campaign's events instead of three. PostgreSQL keeps no statistics for a CTE, guesses
    it tiny and falls into nested loops (minutes on a million events), so there
    (`shared=False`) every read is its own subquery, planned with the table's statistics.
    """
    only_users = converting_users(scope, conversion_event)
    if shared:
        cte = campaign_events(scope, only_users=only_users).element.cte("converter_events")
        return lambda: cte
    return lambda: campaign_events(scope, only_users=only_users)


def qualifying_conversions(
    scope: Scope,
    conversion_event: str,
    window_hours: int,
    events: sa.FromClause | None = None,
) -> sa.Subquery:
    """Conversion rows of the goal, in range, inside [anchor, anchor + window] (inclusive).

    Columns: conversion_id, user_id, occurred_at, revenue, is_control. Only the events of
    users with a goal conversion in range are read: nobody else's anchor can matter, and
    that cuts a 10M-event read to the converters' share. Users without an anchor (no
    receipt and not control) never qualify; test users and filtered-out users have no
    anchor because `campaign_events` already dropped them. `events` is a read of the
    converters' events (see `converter_events`); by default a subquery of its own.
    """
    if events is None:
        events = campaign_events(scope, only_users=converting_users(scope, conversion_event))
    people = per_user(events, scope)
    window = sa.bindparam("window", dt.timedelta(hours=window_hours), type_=sa.Interval)
    return (
        sa.select(
            conversions.c.conversion_id,
            conversions.c.user_id,
            conversions.c.occurred_at,
            conversions.c.revenue,
            people.c.is_control,
        )
        .select_from(conversions.join(people, people.c.user_id == conversions.c.user_id))
        .where(
            conversions.c.event_name == conversion_event,
            _in_range(conversions.c.occurred_at, scope),
            people.c.anchor.is_not(None),
            conversions.c.occurred_at >= people.c.anchor,
            conversions.c.occurred_at <= people.c.anchor + window,
        )
        .subquery()
    )


CONVERSION_ROWS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "conversion_id": pl.String,
    "user_id": pl.String,
    "occurred_at": pl.Datetime("us", "UTC"),
    "revenue": pl.Float64,
    "is_control": pl.Boolean,
    "action_id": pl.String,
    "clicked_before": pl.Boolean,
    "viewed_before": pl.Boolean,
}


def load_conversion_rows(
    connection: sa.Connection, scope: Scope, conversion_event: str, window_hours: int
) -> pl.DataFrame:
    """One row per qualifying conversion, with what attribution and click-through need.

    For a treatment user's conversion: `action_id` is the attributed action (the last
    in-range opened/clicked event at or before it that carries an action, else the last
    such receipt; null if none; among events at that same instant, the greatest
    action_id), `clicked_before` / `viewed_before` say whether an in-range `clicked` /
    `impression`-or-`opened` event of C happened at or before it. Control conversions
    carry null action and false flags: they are never attributed.

    Two aggregations instead of a window function: per conversion, the times of the last
    interaction and the last receipt with an action; then the action at that time.
    """
    read_events = converter_events(
        scope, conversion_event, shared=connection.dialect.name == "duckdb"
    )
    qualifying = qualifying_conversions(scope, conversion_event, window_hours, read_events())
    events = read_events()
    candidate = events.c.action_id.is_not(None)
    is_interaction = events.c.event_type.in_(INTERACTION_TYPES)
    keys = [
        qualifying.c.conversion_id,
        qualifying.c.user_id,
        qualifying.c.occurred_at,
        qualifying.c.revenue,
        qualifying.c.is_control,
    ]
    before_conversion = sa.and_(
        events.c.user_id == qualifying.c.user_id,
        qualifying.c.is_control == 0,
        events.c.event_type.in_(RECEIPT_TYPES),
        _in_range(events.c.occurred_at, scope),
        events.c.occurred_at <= qualifying.c.occurred_at,
    )
    timed = (
        sa.select(
            *keys,
            sa.func.max(_flag(events.c.event_type == "clicked")).label("clicked_before"),
            sa.func.max(_flag(events.c.event_type.in_(("impression", "opened")))).label(
                "viewed_before"
            ),
            sa.func.max(sa.case((sa.and_(candidate, is_interaction), events.c.occurred_at))).label(
                "last_interaction_at"
            ),
            sa.func.max(sa.case((candidate, events.c.occurred_at))).label("last_receipt_at"),
        )
        .select_from(qualifying.outerjoin(events, before_conversion))
        .group_by(*keys)
        .subquery()
    )
    events = read_events()
    is_interaction = events.c.event_type.in_(INTERACTION_TYPES)
    chosen = sa.and_(
        events.c.user_id == timed.c.user_id,
        events.c.occurred_at
        == sa.func.coalesce(timed.c.last_interaction_at, timed.c.last_receipt_at),
        events.c.action_id.is_not(None),
        events.c.event_type.in_(RECEIPT_TYPES),
        sa.or_(timed.c.last_interaction_at.is_(None), is_interaction),
    )
    outer_keys = [
        timed.c.conversion_id,
        timed.c.user_id,
        timed.c.occurred_at,
        timed.c.revenue,
        timed.c.is_control,
        timed.c.clicked_before,
        timed.c.viewed_before,
    ]
    query = (
        sa.select(
            timed.c.conversion_id,
            timed.c.user_id,
            timed.c.occurred_at,
            timed.c.revenue,
            (timed.c.is_control == 1).label("is_control"),
            sa.func.max(events.c.action_id).label("action_id"),
            (sa.func.coalesce(timed.c.clicked_before, 0) == 1).label("clicked_before"),
            (sa.func.coalesce(timed.c.viewed_before, 0) == 1).label("viewed_before"),
        )
        .select_from(timed.outerjoin(events, chosen))
        .group_by(*outer_keys)
    )
    frame = fetch_frame(connection, query, schema=CONVERSION_ROWS_SCHEMA)
    if frame.height == 0:
        return pl.DataFrame(schema=CONVERSION_ROWS_SCHEMA)
    return frame.select(list(CONVERSION_ROWS_SCHEMA))


ACTION_RECEIVERS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "action_id": pl.String,
    "received_users": pl.Int64,
}


def load_action_receivers(connection: sa.Connection, scope: Scope) -> pl.DataFrame:
    """Per action_id: users with an in-range receipt event carrying that action."""
    events = campaign_events(scope)
    query = (
        sa.select(
            events.c.action_id,
            sa.func.count(sa.distinct(events.c.user_id)).label("received_users"),
        )
        .where(
            events.c.action_id.is_not(None),
            events.c.event_type.in_(RECEIPT_TYPES),
            _in_range(events.c.occurred_at, scope),
        )
        .group_by(events.c.action_id)
        .order_by(events.c.action_id)
    )
    frame = fetch_frame(connection, query, schema=ACTION_RECEIVERS_SCHEMA)
    if frame.height == 0:
        return pl.DataFrame(schema=ACTION_RECEIVERS_SCHEMA)
    return frame


VARIANT_USERS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "variant_id": pl.String,
    "users": pl.Int64,
    "converted_users": pl.Int64,
}


def load_variant_users(
    connection: sa.Connection,
    scope: Scope,
    conversion_event: str | None,
    window_hours: int,
) -> pl.DataFrame:
    """Per variant_id seen in range: its users and how many of them converted.

    A variant marked is_control counts the users with an in-range `entered` or `control`
    event carrying it (control users by definition), and their control conversions; any
    other variant counts users with an in-range receipt event carrying it, and their
    treatment conversions. `converted_users` is null when the campaign has no goal.
    """
    events = campaign_events(scope)
    grouped = (
        sa.select(
            events.c.variant_id,
            events.c.user_id,
            sa.func.max(_flag(events.c.event_type.in_(RECEIPT_TYPES))).label("has_receipt"),
            sa.func.max(_flag(events.c.event_type.in_(CONTROL_ENTRY_TYPES))).label("has_entry"),
        )
        .where(events.c.variant_id.is_not(None), _in_range(events.c.occurred_at, scope))
        .group_by(events.c.variant_id, events.c.user_id)
        .subquery()
    )
    # The control-variant test once per (variant, user) pair, not once per use below.
    pairs = sa.select(
        grouped,
        _flag(grouped.c.variant_id.in_(_control_variant_ids(scope.campaign_id))).label(
            "control_variant"
        ),
    ).subquery()
    control_variant = pairs.c.control_variant == 1
    is_member = sa.or_(
        sa.and_(control_variant, pairs.c.has_entry == 1),
        sa.and_(pairs.c.control_variant == 0, pairs.c.has_receipt == 1),
    )
    source: sa.FromClause = pairs
    if conversion_event is None:
        converted: sa.ColumnElement[int | None] = sa.null()
    else:
        qualifying = qualifying_conversions(scope, conversion_event, window_hours)
        converters = (
            sa.select(qualifying.c.user_id, sa.func.max(qualifying.c.is_control).label("control"))
            .group_by(qualifying.c.user_id)
            .subquery()
        )
        source = pairs.outerjoin(converters, converters.c.user_id == pairs.c.user_id)
        # A control variant's members convert as control users, any other's as treatment.
        same_side = sa.or_(
            sa.and_(control_variant, converters.c.control == 1),
            sa.and_(pairs.c.control_variant == 0, converters.c.control == 0),
        )
        converted = sa.func.count().filter(sa.and_(is_member, same_side))
    query = (
        sa.select(
            pairs.c.variant_id,
            sa.func.count().filter(is_member).label("users"),
            converted.label("converted_users"),
        )
        .select_from(source)
        .group_by(pairs.c.variant_id)
        .order_by(pairs.c.variant_id)
    )
    frame = fetch_frame(connection, query, schema=VARIANT_USERS_SCHEMA)
    if frame.height == 0:
        return pl.DataFrame(schema=VARIANT_USERS_SCHEMA)
    return frame.select(list(VARIANT_USERS_SCHEMA))
