"""Filters never produce impossible screens (issue 10): the experiment under a variant
filter still compares every variant, and an action drill-down keeps its population."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from data.demo.catalog import variants_frame
from tests.app.conftest import open_page

CAMPAIGN = "push_black_friday"


def _no_errors(app: AppTest) -> None:
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]


@pytest.mark.parametrize("variant", ["A", "B", "control"])
def test_a_variant_filter_keeps_every_variant_and_raises_no_split_alarm(
    app: AppTest, variant: str
) -> None:
    open_page(app, "experiment", campaign=CAMPAIGN, variant=variant)
    _no_errors(app)  # no "The split is broken" box: the check compares every variant
    names = variants_frame().filter(campaign_id=CAMPAIGN)["name"].to_list()
    for table in app.dataframe:
        frame = table.value
        assert sorted(frame["name"]) == sorted(names)
        assert (frame["users"] > 0).all(), frame


def _metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


@pytest.mark.parametrize("action", ["push_teaser", "push_reminder"])
def test_an_action_filter_keeps_the_population_of_the_action(app: AppTest, action: str) -> None:
    open_page(app, "overview", campaign=CAMPAIGN, action=action)
    _no_errors(app)
    shown = _metrics(app)
    assert shown["Messages sent"] != "0"
    for label in ("Audience size", "Users", "Sessions per day, during"):
        assert shown[label] not in {"0", "0.0", "n/a"}, (label, shown)
    captions = " ".join(caption.value for caption in app.caption)
    assert "n/a of the audience" not in captions
    # the sidebar says the drill-down is on, and can undo it
    assert app.sidebar.selectbox(key="f_action").value == action


def test_an_action_filter_says_why_there_is_no_uplift(app: AppTest) -> None:
    open_page(app, "conversions", campaign=CAMPAIGN, action="push_teaser")
    _no_errors(app)
    assert any("control group receives no action" in info.value for info in app.info)
    labels = {metric.label for metric in app.metric}
    assert "Uplift (absolute)" not in labels


def test_a_campaign_name_links_to_its_overview_with_the_current_filters(app: AppTest) -> None:
    open_page(app, "campaigns", campaign=CAMPAIGN, tz="Europe/Paris", test="true")
    _no_errors(app)
    frame = app.dataframe[0].value
    links = dict(zip(frame["campaign_id"], frame["link"], strict=True))
    link = links[CAMPAIGN]
    assert link.startswith(f"overview?campaign={CAMPAIGN}&")
    assert "tz=Europe%2FParis" in link and "test=true" in link
    assert link.endswith("#Black%20Friday%20teaser%20%28A/B%20test%29")


@pytest.mark.parametrize(
    ("gran", "heading"), [("week", "Week by week"), ("month", "Month by month")]
)
def test_the_experiment_trend_is_named_for_its_granularity(
    app: AppTest, gran: str, heading: str
) -> None:
    open_page(app, "experiment", campaign=CAMPAIGN, gran=gran)
    _no_errors(app)
    headings = [subheader.value for subheader in app.subheader]
    assert heading in headings and "Day by day" not in headings


@pytest.mark.parametrize("split", ["action", "variant"])
@pytest.mark.parametrize("figure", ["messages_sent", "clicks"])
def test_explore_split_totals_equal_the_card(
    app: AppTest,
    demo_url: str,
    capsys: pytest.CaptureFixture[str],
    split: str,
    figure: str,
) -> None:
    import json

    from metrics.report import main as report_cli

    capsys.readouterr()
    assert report_cli([CAMPAIGN, "--db", demo_url]) == 0
    card = json.loads(capsys.readouterr().out)["kpis"][figure]
    open_page(app, "explore", campaign=CAMPAIGN, figure=figure, split=split)
    _no_errors(app)
    table = app.dataframe[0].value
    assert int(table[figure].sum()) == card


def test_explore_conversions_split_by_action_add_up_to_the_card(
    app: AppTest, demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Split by action, conversions follow the action cards' attribution (issue 10, item 4)."""
    import json

    from metrics.report import main as report_cli

    capsys.readouterr()
    assert report_cli([CAMPAIGN, "--db", demo_url]) == 0
    report = json.loads(capsys.readouterr().out)
    open_page(app, "explore", campaign=CAMPAIGN, figure="conversions", split="action")
    _no_errors(app)
    table = app.dataframe[0].value
    assert int(table["conversions"].sum()) == report["kpis"]["conversions"]
    attributed = sum(row["attributed_conversions"] for row in report["actions"])
    named = table[table["split"] != "(none)"]  # the conversions no action can claim
    assert int(named["conversions"].sum()) == attributed


@pytest.mark.parametrize(("split", "words"), [("action", "add up to the"), ("variant", "control")])
def test_explore_says_why_split_conversions_do_not_add_up_to_the_card(
    app: AppTest, split: str, words: str
) -> None:
    open_page(app, "explore", campaign=CAMPAIGN, figure="conversions", split=split)
    _no_errors(app)
    captions = " ".join(caption.value for caption in app.caption)
    assert words in captions
