"""Explore offers users, engaged users, the open and conversion rates and revenue over time
(issue 10, item 13) and says why when a split or a campaign has none."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from metrics.series import USER_SERIES
from tests.app.conftest import open_page


@pytest.mark.parametrize("figure", USER_SERIES)
def test_every_user_figure_draws_over_time(app: AppTest, figure: str) -> None:
    open_page(app, "explore", campaign="push_black_friday", figure=figure)
    assert not app.exception and not app.error
    assert app.selectbox(key="explore_figure").value == figure
    table = app.dataframe[0].value
    assert table[figure].notna().any()


def test_a_conversion_rate_split_by_variant_says_why_it_is_not_there(app: AppTest) -> None:
    open_page(
        app, "explore", campaign="push_black_friday", figure="conversion_rate", split="variant"
    )
    assert not app.exception and not app.error
    assert any("carries no variant" in info.value for info in app.info)


def test_revenue_of_a_campaign_without_a_goal_is_an_empty_state(app: AppTest) -> None:
    open_page(app, "explore", campaign="push_flash_no_goal", figure="revenue")
    assert not app.exception and not app.error
    assert any("no conversion goal" in info.value for info in app.info)
