"""Tables folded in an expander are built only once a reader opens it (`ui.widgets.folded`)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page

CAMPAIGN = "push_black_friday"
ALL_FIGURES = "Every figure of this view (the glossary's Delivery, Engagement and Conversions)"


def _tables_with(app: AppTest, column: str) -> list[pd.DataFrame]:
    return [table.value for table in app.dataframe if column in table.value.columns]


def test_every_figure_appears_when_opened_and_agrees_with_the_cards(app: AppTest) -> None:
    open_page(app, "overview", campaign=CAMPAIGN)
    assert not app.exception and not app.error
    assert ALL_FIGURES in [expander.label for expander in app.expander]
    # closed: no table was built or sent, and no download offered for it
    assert _tables_with(app, "meaning") == []
    assert "csv_all_figures" not in [button.key for button in app.get("download_button")]

    app.session_state["fold_all_figures"] = True  # what the reader's click on it sets
    app.run()
    assert not app.exception and not app.error
    [table] = _tables_with(app, "meaning")
    values = dict(zip(table["figure"], table["value"], strict=True))
    cards = {metric.label: metric.value for metric in app.metric}
    # the folded table and the card above it read the same figure the same way
    assert values["Messages sent"] == cards["Messages sent"] != "0"


@pytest.mark.parametrize(
    ("page", "fold", "column"),
    [
        ("overview", "fold_sessions_daily", "sessions"),
        ("engagement", "fold_open_times", "hour"),
        ("conversions", "fold_actions", "action_id"),
    ],
)
def test_a_folded_table_is_built_only_while_open(
    app: AppTest, page: str, fold: str, column: str
) -> None:
    open_page(app, page, campaign=CAMPAIGN)
    assert not app.exception and not app.error
    shown_closed = len(_tables_with(app, column))
    app.session_state[fold] = True
    app.run()
    assert not app.exception and not app.error
    assert len(_tables_with(app, column)) == shown_closed + 1
