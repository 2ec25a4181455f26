"""Recurring campaigns run by run (a weekly digest's issues), and which links drew clicks.

A run's `delivered` follows the campaign-wide rule: its `delivered` events if C has any at
all, otherwise its sends minus its bounces.
"""

from __future__ import annotations

import polars as pl

from metrics.delivery import delivered_expr
from metrics.report_model import LinkRow, RunRow


def run_rows(run_counts: pl.DataFrame, *, has_delivered: bool) -> list[RunRow]:
    """`runs`: one row per run with an in-range event, earliest run first."""
    frame = run_counts.with_columns(
        delivered_expr(has_delivered=has_delivered).alias("delivered")
    ).sort("first_event_at", "run_id")
    return [
        RunRow.model_validate(row)
        for row in frame.select(list(RunRow.model_fields)).iter_rows(named=True)
    ]


def link_rows(link_counts: pl.DataFrame) -> list[LinkRow]:
    """`links`: {link_url, clicks, unique_clicks}, most clicked first."""
    frame = link_counts.sort(
        ["clicks", "unique_clicks", "link_url"], descending=[True, True, False]
    )
    return [LinkRow(**row) for row in frame.iter_rows(named=True)]
