"""Every distinct-user figure of a view from one grouping of the campaign's events by user.

Exact distinct counts are the whole cost of a report: on the 10M demo one
`count(DISTINCT user_id)` over a campaign's 4 million events costs 500 ms where a count
by type costs 23. The report used to group those events by user five times (totals,
receivers, action receivers, variant users, conversion anchors: 4.6 s). Here they are
grouped once: one row per user with a flag per "user with an X event" condition, the
anchor times, and a flag per variant and per action of the campaign; then the flags are
counted, per local bucket of the user's first in-range impression, so the cumulative
unique impressions come out of the same pass. What comes back is one row per bucket.

Variants and actions are known before the pass (the catalog plus those seen in range, from
`data.queries.event_counts`), so "users who received action a" is a flag column per action: no
second grouping by (user, action). Their ids are bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from data.frames import fetch_frame
from data.local_time import day_of_number, local_bucket_number
from data.queries.events import scoped_events
from data.scope import Scope
from data.vocabulary import ENTRY_TYPES, EVENT_TYPES, RECEIPT_TYPES, Granularity

USER_FLAGS: tuple[str, ...] = (
    "entered_users",
    "impression_users",
    "opened_users",
    "clicked_users",
    "engaged_users",
    "delivered_users",
    "sent_unbounced_users",
    "receivers",
    "sent_users",
    "control_users",
)
"""The distinct-user totals: the glossary's audience, engagement and conversion bases."""


@dataclass(frozen=True)
class Variant:
    variant_id: str
    is_control: bool


@dataclass(frozen=True)
class FunnelStep:
    """A step of the funnel in users: a treatment user reaches it when their in-range
    event types include one of `any_of` and none of `none_of` (bits of TYPE_BITS), and
    they reached every step before it, so each step is a subset of the one before.
    `any_of` = 0 means "a user of C" (an `entered` event, or a receipt of the filtered
    action: the glossary's users of C)."""

    name: str
    any_of: int
    none_of: int = 0


@dataclass(frozen=True)
class ConversionGoal:
    """The campaign's conversion event and window, for the per-variant converted users."""

    event_name: str
    window_hours: int


@dataclass(frozen=True)
class UserCounts:
    """The pass's result: distinct-user totals, per variant, per action, per first bucket.

    `totals` has USER_FLAGS; `variants` has variant_id, users, entered_users (under an
    in-range `entered` event: the sample-ratio check's counts) and converted_users (null
    without a goal); `actions` has action_id, received_users (actions with some only);
    `first_impressions` has date (bucket start), new_users; `funnel` has step (the
    FunnelStep's name), users, for the steps asked for (in their order).
    """

    totals: dict[str, int]
    variants: pl.DataFrame
    actions: pl.DataFrame
    first_impressions: pl.DataFrame
    funnel: pl.DataFrame | None = None


TYPE_BITS: dict[str, int] = {name: 1 << position for position, name in enumerate(EVENT_TYPES)}
"""One bit per event type: a user's set of event types is one integer, OR-ed over events."""

RECEIPT_MASK = sum(TYPE_BITS[name] for name in RECEIPT_TYPES)
ENTRY_MASK = sum(TYPE_BITS[name] for name in ENTRY_TYPES)
CONTROL_ENTRY_BIT = 1 << len(EVENT_TYPES)
"""An `entered` event under a control variant: with `control`, what makes a control user."""

EVER_SHIFT = CONTROL_ENTRY_BIT << 1
"""Where a user's all-time event types start in the types mask: above every type bit and
CONTROL_ENTRY_BIT, so one aggregate holds the in-range and the all-time sets. (Both sets
take 28 bits: every intermediate value fits the 32-bit integers DuckDB gives parameters.)"""

BITS_PER_MASK = 62
"""Ids per BIGINT mask (its sign bit unused); a campaign with more variants or actions
gets several mask columns."""


def has_bits(mask: sa.ColumnElement[int], bits: int) -> sa.ColumnElement[bool]:
    """Whether any of `bits` is set in `mask`."""
    return mask.bitwise_and(sa.literal(bits, sa.BigInteger)) != 0


def or_where(
    condition: sa.ColumnElement[bool], bits: sa.ColumnElement[int], name: str
) -> sa.Label[int]:
    """bit_or of `bits` over the user's events where `condition` holds (0 when none)."""
    return sa.func.coalesce(
        sa.func.bit_or(sa.case((condition, bits), else_=sa.literal(0, sa.BigInteger))), 0
    ).label(name)


def id_bits(column: sa.ColumnElement[str], ids: list[str], chunk: int) -> sa.ColumnElement[int]:
    """The bit of an id among ids[chunk * 62 : (chunk + 1) * 62], else 0."""
    part = ids[chunk * BITS_PER_MASK : (chunk + 1) * BITS_PER_MASK]
    if not part:
        return sa.literal(0, sa.BigInteger)
    return sa.case(
        {value: sa.literal(1 << offset, sa.BigInteger) for offset, value in enumerate(part)},
        value=column,
        else_=sa.literal(0, sa.BigInteger),
    )


def event_type_bit(
    event_type: sa.ColumnElement[str], control_variant: sa.ColumnElement[bool] | None
) -> sa.ColumnElement[int]:
    """The TYPE_BITS bit of an event; an `entered` event under a control variant (where
    `control_variant` holds) also sets CONTROL_ENTRY_BIT."""
    bits: sa.ColumnElement[int] = sa.case(
        {name: sa.literal(bit, sa.BigInteger) for name, bit in TYPE_BITS.items()},
        value=event_type,
        else_=sa.literal(0, sa.BigInteger),
    )
    if control_variant is None:
        return bits
    return sa.case(
        (
            sa.and_(event_type == "entered", control_variant),
            sa.literal(TYPE_BITS["entered"] | CONTROL_ENTRY_BIT, sa.BigInteger),
        ),
        else_=bits,
    )


def _chunk_mask(variants: list[Variant], chunk: int, *, control: bool) -> int:
    """The bits, in mask column `chunk`, of the control (or the treatment) variants."""
    part = variants[chunk * BITS_PER_MASK : (chunk + 1) * BITS_PER_MASK]
    return sum(1 << offset for offset, variant in enumerate(part) if variant.is_control == control)


def mask_chunks(ids: list[str]) -> range:
    return range((len(ids) + BITS_PER_MASK - 1) // BITS_PER_MASK)


def user_counts(
    connection: sa.Connection,
    scope: Scope,
    variants: list[Variant],
    action_ids: list[str],
    granularity: Granularity,
    funnel: tuple[FunnelStep, ...] = (),
) -> UserCounts:
    """Run the per-user pass of `scope` (one statement) and split its result.

    `funnel`: the steps of a funnel in users; each step's count is one more flag over the
    same per-user rows (no second grouping by user).

    Per user: the set of event types in range and over all time as bit masks, the first
    receipt, entry and in-range impression, and per variant and action masks of "an
    in-range receipt (entry, `entered`) event carrying it". Bit masks keep it to a few
    integer aggregates per user: the same pass as one flag aggregate per condition took
    2.5 s instead of 0.5 s, spilling its wider hash table to disk.
    """
    variant_ids = [variant.variant_id for variant in variants]
    control_ids = [variant.variant_id for variant in variants if variant.is_control]
    source = scoped_events(scope, in_range=False)
    type_bits = event_type_bit(
        source.c.event_type, source.c.variant_id.in_(control_ids) if control_ids else None
    )
    coded = sa.select(
        source.c.user_id,
        source.c.occurred_at,
        type_bits.label("type_bit"),
        sa.and_(
            source.c.occurred_at >= scope.range_start_utc,
            source.c.occurred_at < scope.range_end_utc,
        ).label("in_range"),
        *(
            id_bits(source.c.variant_id, variant_ids, k).label(f"vb{k}")
            for k in mask_chunks(variant_ids)
        ),
        *(
            id_bits(source.c.action_id, action_ids, k).label(f"ab{k}")
            for k in mask_chunks(action_ids)
        ),
    ).subquery("coded")
    bit = coded.c.type_bit
    in_range = coded.c.in_range
    receipt = has_bits(bit, RECEIPT_MASK)
    # One mask for both type sets: in-range types in the low bits, all-time types above.
    ever_bits = bit * sa.literal(EVER_SHIFT, sa.BigInteger)
    columns: list[sa.ColumnElement[Any]] = [
        coded.c.user_id,
        sa.func.bit_or(
            ever_bits + sa.case((in_range, bit), else_=sa.literal(0, sa.BigInteger))
        ).label("types"),
        sa.func.min(
            sa.case((sa.and_(in_range, bit == TYPE_BITS["impression"]), coded.c.occurred_at))
        ).label("first_impression"),
    ]
    for k in mask_chunks(variant_ids):
        ids = coded.c[f"vb{k}"]
        # A treatment variant's users have a receipt carrying it, a control variant's an
        # entry: one mask holds both, each variant's bit set by its own kind of event.
        controls = _chunk_mask(variants, k, control=True)
        treatments = _chunk_mask(variants, k, control=False)
        member = sa.case(
            (sa.and_(in_range, receipt), ids.bitwise_and(sa.literal(treatments, sa.BigInteger))),
            else_=sa.literal(0, sa.BigInteger),
        ) + sa.case(
            (
                sa.and_(in_range, has_bits(bit, ENTRY_MASK)),
                ids.bitwise_and(sa.literal(controls, sa.BigInteger)),
            ),
            else_=sa.literal(0, sa.BigInteger),
        )
        columns += [
            sa.func.bit_or(member).label(f"v_member{k}"),
            or_where(sa.and_(in_range, has_bits(bit, TYPE_BITS["entered"])), ids, f"v_entered{k}"),
        ]
    for k in mask_chunks(action_ids):
        columns.append(or_where(sa.and_(in_range, receipt), coded.c[f"ab{k}"], f"a_receipt{k}"))
    users = sa.select(*columns).group_by(coded.c.user_id).subquery("per_user")

    first_bucket = local_bucket_number(users.c.first_impression, scope, granularity)
    # The users are counted per distinct combination of their masks (55 combinations for
    # the 10M demo's million users), and every figure is read from those few rows in
    # Polars: one CASE and one SUM per figure over every user cost more, and grew with
    # each figure (the funnel's steps added six).
    masks = [column.name for column in users.c if column.name.startswith(("v_", "a_"))]
    # The bucket is named in a subquery first: DuckDB takes no parameter in a GROUP BY, and
    # a month's bucket has some.
    bucketed = sa.select(
        first_bucket.label("bucket"), users.c.types, *(users.c[name] for name in masks)
    ).subquery("bucketed")
    keys = list(bucketed.c)
    query = sa.select(*keys, sa.func.count().label("users")).group_by(*keys)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {"bucket": pl.Int64, "types": pl.Int64}
    schema |= dict.fromkeys([*masks, "users"], pl.Int64)
    combinations = fetch_frame(connection, query, schema=schema)
    outputs = _user_figures(scope, variants, action_ids, funnel)
    rows = combinations.group_by("bucket").agg(
        (condition.fill_null(False).cast(pl.Int64) * pl.col("users")).sum().alias(name)
        for name, condition in outputs.items()
    )
    return _split(rows, variants, action_ids, funnel)


def _has_bits(column: str, bits: int) -> pl.Expr:
    """Whether any of `bits` is set in the mask column `column` (Polars)."""
    return (pl.col(column) & bits) != 0


def passes_step(types: pl.Expr, step: FunnelStep, entered: int) -> pl.Expr:
    """Whether a user whose in-range event types are the mask `types` passes `step` on its
    own (not the steps before it). `entered` is what makes a user of C (`entered`, or under
    an action filter a receipt), the step whose `any_of` is 0. The user pass counts the
    funnel's users with it, and `metrics.funnel` its converters."""
    passed = (types & (step.any_of or entered)) != 0
    if step.none_of:
        passed = passed & ((types & step.none_of) == 0)
    return passed


def _user_figures(
    scope: Scope,
    variants: list[Variant],
    action_ids: list[str],
    funnel: tuple[FunnelStep, ...],
) -> dict[str, pl.Expr]:
    """Each distinct-user figure as a condition on a user's masks (see `user_counts`)."""
    control = _has_bits("types", (TYPE_BITS["control"] | CONTROL_ENTRY_BIT) * EVER_SHIFT)
    treatment = ~control
    # Under an action filter `entered` events (which carry no action) are gone: the
    # glossary's users of C are then those with an in-range receipt carrying the action.
    entered = TYPE_BITS["entered"] if scope.action is None else RECEIPT_MASK
    outputs: dict[str, pl.Expr] = {
        "entered_users": _has_bits("types", entered),
        "impression_users": _has_bits("types", TYPE_BITS["impression"]),
        "opened_users": _has_bits("types", TYPE_BITS["opened"]),
        "clicked_users": _has_bits("types", TYPE_BITS["clicked"]),
        "engaged_users": _has_bits("types", TYPE_BITS["opened"] | TYPE_BITS["clicked"]),
        "delivered_users": _has_bits("types", TYPE_BITS["delivered"]),
        "sent_unbounced_users": _has_bits("types", TYPE_BITS["sent"])
        & ~_has_bits("types", TYPE_BITS["bounced"]),
        "receivers": treatment & _has_bits("types", RECEIPT_MASK),
        "sent_users": _has_bits("types", TYPE_BITS["sent"]),
        "control_users": control & _has_bits("types", ENTRY_MASK),
        "new_users": pl.col("bucket").is_not_null(),
    }
    reached = treatment
    for index, step in enumerate(funnel):
        reached = reached & passes_step(pl.col("types"), step, entered)
        outputs[f"f{index}_users"] = reached
    for index in range(len(variants)):
        k, bit_of = divmod(index, BITS_PER_MASK)
        outputs[f"v{index}_users"] = _has_bits(f"v_member{k}", 1 << bit_of)
        outputs[f"v{index}_entered"] = _has_bits(f"v_entered{k}", 1 << bit_of)
    for index in range(len(action_ids)):
        k, bit_of = divmod(index, BITS_PER_MASK)
        outputs[f"a{index}_received"] = _has_bits(f"a_receipt{k}", 1 << bit_of)
    return outputs


def _split(
    rows: pl.DataFrame,
    variants: list[Variant],
    action_ids: list[str],
    funnel: tuple[FunnelStep, ...] = (),
) -> UserCounts:
    sums = rows.select(pl.exclude("bucket").sum())

    def total(name: str) -> int:
        return int(sums[name][0] or 0) if rows.height else 0

    variant_frame = pl.DataFrame(
        {
            "variant_id": [variant.variant_id for variant in variants],
            "users": [total(f"v{index}_users") for index in range(len(variants))],
            "entered_users": [total(f"v{index}_entered") for index in range(len(variants))],
        },
        schema={
            "variant_id": pl.String,
            "users": pl.Int64,
            "entered_users": pl.Int64,
        },
    )
    action_frame = pl.DataFrame(
        {
            "action_id": action_ids,
            "received_users": [total(f"a{index}_received") for index in range(len(action_ids))],
        },
        schema={"action_id": pl.String, "received_users": pl.Int64},
    ).filter(pl.col("received_users") > 0)
    firsts = rows.filter(pl.col("bucket").is_not_null() & (pl.col("new_users") > 0))
    first_frame = pl.DataFrame(
        {
            "date": [day_of_number(number) for number in firsts["bucket"].to_list()],
            "new_users": firsts["new_users"].to_list(),
        },
        schema={"date": pl.Date, "new_users": pl.Int64},
    ).sort("date")
    return UserCounts(
        totals={name: total(name) for name in USER_FLAGS},
        variants=variant_frame,
        actions=action_frame,
        first_impressions=first_frame,
        funnel=pl.DataFrame(
            {
                "step": [step.name for step in funnel],
                "users": [total(f"f{index}_users") for index in range(len(funnel))],
            },
            schema={"step": pl.String, "users": pl.Int64},
        ),
    )
