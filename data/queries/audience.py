"""Segments to re-target: the distinct user ids of a campaign, or of one of its actions.

"Users in campaign" are the users with an in-range `entered` event (the glossary's
audience_size, so the file has exactly that many rows); "Users in action" are the users
with an in-range receipt event carrying that action (the action card's received_users).
The ids are read in batches straight from the database, so a campaign of millions of
users never needs its events, or even all its ids, in memory at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

import sqlalchemy as sa

from data.queries.events import scope_conditions
from data.schema import message_events
from data.scope import Scope
from data.vocabulary import RECEIPT_TYPES

BATCH_SIZE = 10_000

EXPORT_ROW_CAP = 1_000_000
"""At most this many user ids in one downloaded file (about 15 MB): the app builds the file
in memory when the button is clicked, so one click on a huge segment must not exhaust the
server. The ids come in user_id order, so a capped file is the first million of them."""


def segment_query(scope: Scope, *, action_id: str | None = None) -> sa.Select[tuple[str]]:
    """The distinct user ids of the segment, in user_id order (bound parameters only).

    The events are read through the report's own scope filter
    (`data.queries.events.scope_conditions`: range, test users, automated opens and clicks,
    variant, action), so a file holds exactly the users its button counts. A copy of that
    filter once forgot the action drill-down: the button said 0 and the file held 2,082 ids.

    "Users in campaign" (no `action_id`) are the users with an in-range `entered` event,
    the glossary's audience_size; under an action drill-down no `entered` event carries
    the action, so, like audience_size, they are the users with an in-range receipt of it.
    "Users in action" (`action_id`) are the users with an in-range receipt carrying that
    action: the action card's received_users (none for another action than the drill-down's).
    """
    conditions = scope_conditions(scope)
    if action_id is None and scope.action is None:
        conditions.append(message_events.c.event_type == "entered")
    else:
        conditions.append(message_events.c.event_type.in_(RECEIPT_TYPES))
    if action_id is not None:
        conditions.append(message_events.c.action_id == action_id)
    return (
        sa.select(message_events.c.user_id)
        .where(*conditions)
        .distinct()
        .order_by(message_events.c.user_id)
    )


def iter_segment_user_ids(
    connection: sa.Connection, query: sa.Select[tuple[str]], batch_size: int = BATCH_SIZE
) -> Iterator[str]:
    """Yield the ids of `query` batch by batch (the result is read to its end)."""
    result = connection.execution_options(yield_per=batch_size).execute(query)
    for batch in result.partitions():
        for (user_id,) in batch:
            yield user_id


def write_segment_csv(
    connection: sa.Connection,
    query: sa.Select[tuple[str]],
    out: TextIO,
    batch_size: int = BATCH_SIZE,
    limit: int | None = None,
) -> int:
    """Write the segment as a one-column CSV (`user_id` header) to `out`; return the rows.

    `limit` keeps the first ids only (the app passes `EXPORT_ROW_CAP`).
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["user_id"])
    written = 0
    if limit is not None:
        query = query.limit(limit)
    for user_id in iter_segment_user_ids(connection, query, batch_size):
        writer.writerow([user_id])
        written += 1
    return written
