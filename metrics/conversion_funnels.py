"""The Conversions page's two funnels in users, and each action's share of the conversions.

Pure functions of the report's `kpis` and `actions`, so the steps a page draws are the
report's figures, chosen in one place (and a notebook gets the same frames).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from metrics.report_model import ActionRow, Kpis

FUNNEL_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {"step": pl.String, "count": pl.Int64}


def viewed_users(kpis: Kpis) -> int:
    """Users who saw the message: users with an impression on a channel that has
    impressions (in-app), else users with an open (push, email have no impressions)."""
    return kpis.unique_impressions if kpis.impressions else kpis.unique_opens


def conversion_funnel(kpis: Kpis) -> pl.DataFrame:
    """Received -> engaged (opened or clicked) -> converted, in users (null reads 0)."""
    return pl.DataFrame(
        {
            "step": ["Received", "Engaged", "Converted"],
            "count": [kpis.receivers or 0, kpis.engaged_users, kpis.converted_users or 0],
        },
        schema=FUNNEL_SCHEMA,
    )


def influence_funnel(kpis: Kpis) -> pl.DataFrame:
    """Received -> viewed -> converted after a view or open without a click, in users."""
    return pl.DataFrame(
        {
            "step": ["Received", "Viewed", "View-through"],
            "count": [kpis.receivers or 0, viewed_users(kpis), kpis.view_through_conversions or 0],
        },
        schema=FUNNEL_SCHEMA,
    )


def attribution_shares(actions: Sequence[ActionRow]) -> dict[str, float | None]:
    """Each action's share of the attributed conversions (None when nothing is attributed).

    >>> row = dict(name="n", position=1, received_users=1, clicks=0)
    >>> attribution_shares([ActionRow(action_id="a1", attributed_conversions=3, **row),
    ...                     ActionRow(action_id="a2", attributed_conversions=1, **row)])
    {'a1': 0.75, 'a2': 0.25}
    """
    total = sum(action.attributed_conversions or 0 for action in actions)
    return {
        action.action_id: (action.attributed_conversions or 0) / total if total else None
        for action in actions
    }
