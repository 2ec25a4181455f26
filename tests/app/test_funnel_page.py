"""The Overview's delivery funnel on the demo (issue 10, item 12): in users, each step a
subset of the one before, with the channel's own steps, and the same numbers as the report."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data.scope import Scope
from metrics.report import build_report
from tests.app.conftest import open_page

STEPS = {
    "push_black_friday": ["Entered", "Sent", "Delivered", "Opened", "Clicked", "Converted"],
    "email_weekly_digest": ["Entered", "Sent", "Delivered", "Opened", "Clicked", "Converted"],
    "inapp_onboarding": ["Entered", "Viewed", "Clicked", "Converted"],
    "push_flash_no_goal": ["Entered", "Sent", "Delivered", "Opened", "Clicked"],
}


@pytest.mark.parametrize("campaign", list(STEPS))
def test_the_overview_funnel_is_in_users_and_only_narrows(
    app: AppTest, demo_url: str, campaign: str
) -> None:
    open_page(app, "overview", campaign=campaign)
    assert not app.exception and not app.error
    tables = [frame.value for frame in app.dataframe]
    funnel = next(table for table in tables if list(table.columns[:2]) == ["step", "users"])
    assert funnel["step"].tolist() == STEPS[campaign]
    users = funnel["users"].tolist()
    assert users == sorted(users, reverse=True) and users[0] > 0
    # the same numbers as the report the CLI would build for this view
    start, end = (dt.date.fromisoformat(app.query_params[key]) for key in ("start", "end"))
    engine = sa.create_engine(demo_url)
    try:
        with engine.connect() as connection:
            report = build_report(connection, Scope(campaign_id=campaign, start=start, end=end))
    finally:
        engine.dispose()
    assert users == [row.users for row in report.funnel]
    # the first step is the treatment users of the audience: the control group is held out
    assert users[0] == report.kpis.audience_size - report.kpis.control_users


def test_the_experiments_message_table_has_only_the_channels_figures(app: AppTest) -> None:
    """Issue 10, item 7's rule on the Experiment page: a push makes no impressions, so its
    variant table shows no impressions or tap-through rate columns of zeros and dashes."""
    open_page(app, "experiment", campaign="push_black_friday")
    assert not app.exception and not app.error
    messages = next(
        frame.value for frame in app.dataframe if "messages_sent" in frame.value.columns
    )
    assert {"messages_sent", "opens", "clicks", "errors"} <= set(messages.columns)
    assert not {"impressions", "ctr"} & set(messages.columns)
