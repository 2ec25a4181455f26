"""Engagement figures: what people did with the message (glossary, "Engagement").

Counts count events (a repeat open counts again); "unique" counts count users. Open and
click rates are over recipients (users the message reached), CTR over impressions.
"""

from __future__ import annotations

from metrics.rates import ratio
from metrics.report_model import EngagementFigures


def engagement_figures(totals: dict[str, int], *, recipients: int) -> EngagementFigures:
    """The Engagement figures from `event_totals` (one row as a dict) and the recipients."""
    return EngagementFigures(
        impressions=totals["impression"],
        unique_impressions=totals["impression_users"],
        opens=totals["opened"],
        unique_opens=totals["opened_users"],
        open_rate=ratio(totals["opened_users"], recipients),
        clicks=totals["clicked"],
        unique_clicks=totals["clicked_users"],
        click_rate=ratio(totals["clicked_users"], recipients),
        ctr=ratio(totals["clicked"], totals["impression"]),
        dismissals=totals["dismissed"],
        dismissal_rate=ratio(totals["dismissed"], totals["impression"]),
        engaged_users=totals["engaged_users"],
        unsubscribes=totals["unsubscribed"],
    )
