"""The Conversions page's funnels, from figures set by hand (no database)."""

from __future__ import annotations

from typing import Any

from metrics.conversion_funnels import conversion_funnel, influence_funnel, viewed_users
from metrics.report_model import Kpis


def _kpis(**figures: int | None) -> Kpis:
    """Only the figures the funnels read (a full Kpis has some sixty)."""
    base: dict[str, Any] = {
        "receivers": 100,
        "engaged_users": 40,
        "converted_users": 12,
        "impressions": 0,
        "unique_impressions": 0,
        "unique_opens": 35,
        "view_through_conversions": 5,
    }
    return Kpis.model_construct(**(base | figures))


def test_viewed_users_are_impression_users_where_the_channel_has_impressions() -> None:
    # push / email: no impressions at all, so the users who opened (35) saw it
    assert viewed_users(_kpis()) == 35
    # in-app: 80 impressions by 30 users; opens do not count
    assert viewed_users(_kpis(impressions=80, unique_impressions=30)) == 30


def test_the_funnels_read_null_figures_as_zero() -> None:
    assert conversion_funnel(_kpis()).rows() == [
        ("Received", 100),
        ("Engaged", 40),
        ("Converted", 12),
    ]
    # no goal: receivers, converted and view-through are null, drawn as 0
    without_goal = _kpis(receivers=None, converted_users=None, view_through_conversions=None)
    assert influence_funnel(without_goal).rows() == [
        ("Received", 0),
        ("Viewed", 35),
        ("View-through", 0),
    ]
