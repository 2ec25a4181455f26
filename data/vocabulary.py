"""The words the app, the report and the queries share, each declared once.

Like polars' `_typing.py`: `Literal` vocabularies (and the tuples that list them) in one
module that everything imports, so a type checker catches a misspelt granularity or split
and no module keeps a copy that can drift. Copies did drift here before: the receipt
events were listed in three modules, and `Granularity` declared in three.

Only names and their data live here; what a query does with them stays in `data/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Granularity = Literal["day", "week", "month"]
"""The width of a series' buckets: local days, weeks starting on Monday, months."""

GRANULARITIES: tuple[Granularity, ...] = get_args(Granularity)

EventType = Literal[
    "entered",
    "control",
    "sent",
    "delivered",
    "received",
    "bounced",
    "failed",
    "impression",
    "opened",
    "clicked",
    "dismissed",
    "unsubscribed",
    "complained",
]
"""The `message_events.event_type` vocabulary (event schema): every figure counts these."""

EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

RECEIPT_TYPES: tuple[EventType, ...] = (
    "sent",
    "delivered",
    "received",
    "impression",
    "opened",
    "clicked",
)
"""Events that show the user got the message (glossary, Conversions): they anchor a
treatment user, make a receiver and, under an action drill-down, a user of the campaign."""

MACHINE_PRONE_TYPES: tuple[EventType, ...] = ("opened", "clicked")
"""Events an email client's proxy or a link scanner may fire (`is_machine`): the ones
"exclude automated opens and clicks" drops when flagged."""

INTERACTION_TYPES: tuple[EventType, ...] = ("opened", "clicked")
"""Events preferred over bare receipts when a conversion is attributed to an action."""

ENTRY_TYPES: tuple[EventType, ...] = ("entered", "control")
"""Events that anchor a control user and make them a member of the control group."""

Split = Literal["variant", "platform", "action"]
"""What Explore can split a series by, as the link spells it (`?split=variant`)."""

SplitColumn = Literal["variant_id", "platform", "action_id"]
"""The same dimensions as the queries name them: the event's column (platform: the
event's, else the user's)."""


@dataclass(frozen=True)
class SplitDimension:
    """One dimension a series can be split by: its link word, its column and its label."""

    split: Split
    column: SplitColumn
    label: str


SPLIT_DIMENSIONS: dict[Split, SplitDimension] = {
    "variant": SplitDimension("variant", "variant_id", "Variant"),
    "platform": SplitDimension("platform", "platform", "Platform"),
    "action": SplitDimension("action", "action_id", "Action"),
}
"""Every split dimension, in the order a picker lists them."""

SPLITS: tuple[Split, ...] = tuple(SPLIT_DIMENSIONS)
SPLIT_COLUMNS: tuple[SplitColumn, ...] = tuple(d.column for d in SPLIT_DIMENSIONS.values())
SPLIT_LABELS: dict[Split, str] = {d.split: d.label for d in SPLIT_DIMENSIONS.values()}
"""A split's label, for a picker or a chart's legend."""


def split_column(split: Split | None) -> SplitColumn | None:
    """The query column of a link's split word, or None without a split.

    >>> split_column("variant"), split_column(None)
    ('variant_id', None)
    """
    return None if split is None else SPLIT_DIMENSIONS[split].column
