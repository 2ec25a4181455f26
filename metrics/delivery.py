"""Delivery figures: did the message go out and reach people (glossary, "Delivery").

`delivered` has a rule that also applies inside each day and each run: the count of
`delivered` events when the campaign has any (some providers send receipts), otherwise
what was sent minus what bounced.
"""

from __future__ import annotations

import polars as pl

from metrics.rates import ratio
from metrics.report_model import DeliveryFigures


def delivered_count(
    delivered_events: int,
    messages_sent: int,
    hard_bounces: int,
    soft_bounces: int,
    *,
    has_delivered: bool,
) -> int:
    """Delivered messages: receipts if C has any, else sent minus hard and soft bounces.

    Not clamped at 0: on a partial range a bounce may follow a send made before the range,
    and keeping the rule linear keeps the daily values summing to the range total.

    >>> delivered_count(0, 10, 2, 1, has_delivered=False)
    7
    >>> delivered_count(6, 10, 2, 1, has_delivered=True)
    6
    """
    if has_delivered:
        return delivered_events
    return messages_sent - hard_bounces - soft_bounces


def delivered_expr(*, has_delivered: bool) -> pl.Expr:
    """`delivered_count` over the columns delivered_events, messages_sent, hard/soft_bounces."""
    if has_delivered:
        return pl.col("delivered_events")
    return pl.col("messages_sent") - pl.col("hard_bounces") - pl.col("soft_bounces")


def delivery_figures(
    totals: dict[str, int], error_codes: pl.DataFrame, *, has_delivered: bool
) -> DeliveryFigures:
    """The Delivery figures from `event_totals` (one row as a dict) and `error_codes`.

    recipients: users with a `delivered` event if C has any, else users with a `sent`
    event and no `bounced` event in range.
    """
    delivered = delivered_count(
        totals["delivered"],
        totals["sent"],
        totals["hard_bounced"],
        totals["soft_bounced"],
        has_delivered=has_delivered,
    )
    recipients = totals["delivered_users"] if has_delivered else totals["sent_unbounced_users"]
    return DeliveryFigures(
        entries=totals["entered"],
        audience_size=totals["entered_users"],
        messages_sent=totals["sent"],
        hard_bounces=totals["hard_bounced"],
        soft_bounces=totals["soft_bounced"],
        bounce_rate=ratio(totals["hard_bounced"], totals["sent"]),
        errors=totals["failed"],
        errors_by_code=dict(
            zip(error_codes["error_code"].to_list(), error_codes["errors"].to_list(), strict=True)
        ),
        delivered=delivered,
        delivery_rate=ratio(delivered, totals["sent"]),
        recipients=recipients,
        complaints=totals["complained"],
    )


def error_shares(errors_by_code: dict[str, int]) -> pl.DataFrame:
    """Errors per code with each code's share of all errors, most frequent first.

    >>> error_shares({"InvalidToken": 3, "Throttled": 1}).rows()
    [('InvalidToken', 3, 0.75), ('Throttled', 1, 0.25)]
    """
    frame = pl.DataFrame(
        {"error_code": list(errors_by_code), "count": list(errors_by_code.values())},
        schema={"error_code": pl.String, "count": pl.Int64},
    )
    return frame.with_columns((pl.col("count") / pl.col("count").sum()).alias("share")).sort(
        "count", "error_code", descending=[True, False]
    )
