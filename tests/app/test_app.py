"""The app on the demo data, driven headlessly with AppTest: pages, links, fallbacks."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.report import main as report_cli
from tests.app.conftest import APP, TIMEOUT, open_page
from ui.widgets import CHANNEL_KPIS, FORMATTERS

PAGES = ["campaigns", "overview", "engagement", "conversions", "experiment", "explore", "audience"]
CAMPAIGNS = ["push_black_friday", "inapp_onboarding", "email_weekly_digest", "push_flash_no_goal"]


def _no_errors(app: AppTest) -> None:
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_data(app: AppTest, page: str) -> None:
    open_page(app, page, campaign="push_black_friday")
    _no_errors(app)
    assert app.title[0].value == page.capitalize()


@pytest.mark.parametrize("campaign", CAMPAIGNS[1:])
@pytest.mark.parametrize("page", ["overview", "engagement", "conversions", "experiment"])
def test_campaign_pages_render_for_every_channel_and_without_a_goal(
    app: AppTest, page: str, campaign: str
) -> None:
    open_page(app, page, campaign=campaign)
    _no_errors(app)


@pytest.mark.parametrize(
    ("campaign", "start", "end", "tz", "test"),
    [
        ("push_black_friday", "2026-11-05", "2026-11-12", "America/New_York", "true"),
        ("inapp_onboarding", "2026-10-12", "2026-11-15", "Asia/Kolkata", "false"),
        ("email_weekly_digest", "2026-09-07", "2026-10-31", "UTC", "false"),
    ],
)
def test_overview_kpis_equal_the_report_cli_for_the_same_filters(
    app: AppTest,
    demo_url: str,
    capsys: pytest.CaptureFixture[str],
    campaign: str,
    start: str,
    end: str,
    tz: str,
    test: str,
) -> None:
    arguments = [campaign, "--start", start, "--end", end, "--tz", tz, "--db", demo_url]
    if test == "true":
        arguments.append("--exclude-test-users")
    capsys.readouterr()
    assert report_cli(arguments) == 0
    report = json.loads(capsys.readouterr().out)

    open_page(app, "overview", campaign=campaign, start=start, end=end, tz=tz, test=test)
    _no_errors(app)
    shown = {metric.label: metric.value for metric in app.metric}
    channel = report["campaign"]["channel"]
    for kpi in CHANNEL_KPIS[channel]:
        # e.g. open_rate 0.1589 in the JSON reads "15.9 %" on the card
        assert shown[kpi.label] == FORMATTERS[kpi.kind](report["kpis"][kpi.key]), kpi.label


def test_query_params_select_the_campaign_range_and_zone(app: AppTest) -> None:
    open_page(
        app,
        "overview",
        campaign="inapp_onboarding",
        start="2026-10-20",
        end="2026-10-27",
        tz="Europe/Paris",
    )
    _no_errors(app)
    assert app.selectbox(key="f_campaign").value == "inapp_onboarding"
    assert app.date_input(key="f_dates").value == (dt.date(2026, 10, 20), dt.date(2026, 10, 27))
    assert app.selectbox(key="f_tz").value == "Europe/Paris"
    assert app.selectbox(key="f_preset").value == "custom"
    assert "2026-10-20 to 2026-10-27 (Europe/Paris)" in app.markdown[0].value
    # the URL carries every filter explicitly, defaults included
    assert app.query_params["test"] == ["false"] or app.query_params["test"] == "false"


def _param(app: AppTest, key: str) -> str | None:
    value = app.query_params.get(key)
    if isinstance(value, list):
        return value[-1] if value else None
    return value


def test_a_link_without_dates_or_zone_gets_them_written_explicitly(app: AppTest) -> None:
    open_page(app, "overview", campaign="push_flash_no_goal")
    # the demo's flash sale runs 2026-10-20..23; the viewer's zone is UTC in a test
    assert _param(app, "start") == "2026-10-20"
    assert _param(app, "tz") == "UTC"
    assert _param(app, "machine") == "false"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"campaign": "no_such_campaign"}, "There is no campaign `no_such_campaign`"),
        ({"campaign": "push_black_friday", "start": "2026-02-30"}, "start=2026-02-30"),
        (
            {"campaign": "push_black_friday", "start": "2026-11-10", "end": "2026-11-01"},
            "before the start date",
        ),
        ({"campaign": "push_black_friday", "tz": "Moon/Base"}, "Moon/Base"),
        ({"campaign": "push_black_friday", "variant": "Z"}, "no variant `Z`"),
    ],
)
def test_a_bogus_link_shows_a_message_and_falls_back(
    app: AppTest, params: dict[str, str], fragment: str
) -> None:
    open_page(app, "overview", **params)
    _no_errors(app)
    warnings = " ".join(item.value for item in app.warning)
    assert fragment in warnings
    assert app.metric, "the page still shows figures for the fallback view"


def test_choosing_a_preset_writes_the_new_range_into_the_url(app: AppTest) -> None:
    open_page(app, "overview", campaign="push_black_friday", tz="UTC")
    before = {metric.label: metric.value for metric in app.metric}
    app.selectbox(key="f_preset").select("last_7").run()
    _no_errors(app)
    # newest demo event of the campaign is on 2026-11-22: last 7 days = 16th..22nd
    assert (_param(app, "start"), _param(app, "end")) == ("2026-11-16", "2026-11-22")
    after = {metric.label: metric.value for metric in app.metric}
    assert after["Messages sent"] != before["Messages sent"]


def test_changing_the_zone_keeps_the_dates_and_updates_the_url(app: AppTest) -> None:
    open_page(app, "overview", campaign="push_black_friday", start="2026-11-05", end="2026-11-06")
    app.selectbox(key="f_tz").select("Asia/Tokyo").run()
    _no_errors(app)
    assert _param(app, "tz") == "Asia/Tokyo"
    assert (_param(app, "start"), _param(app, "end")) == ("2026-11-05", "2026-11-06")


def test_the_action_drill_down_is_in_the_url_and_can_be_undone(app: AppTest) -> None:
    open_page(app, "conversions", campaign="push_black_friday")
    app.button(key="drill_push_reminder").click().run()
    _no_errors(app)
    assert _param(app, "action") == "push_reminder"
    assert any("push_reminder" in item.value for item in app.info)
    back = next(button for button in app.button if button.label == "Back to all actions")
    back.click().run()
    assert _param(app, "action") is None


def test_a_shared_drill_down_link_filters_every_figure(app: AppTest) -> None:
    open_page(app, "conversions", campaign="push_black_friday", action="push_teaser")
    _no_errors(app)
    assert any("push_teaser" in item.value for item in app.info)


def test_explore_takes_its_figure_and_split_from_the_url(app: AppTest) -> None:
    open_page(app, "explore", campaign="inapp_onboarding", figure="ctr", split="action")
    _no_errors(app)
    assert app.selectbox(key="explore_figure").value == "ctr"
    assert app.selectbox(key="explore_split").value == "action"


def test_a_database_that_is_down_shows_a_banner_and_recovers_on_retry(
    tmp_path: Path, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "later.duckdb"
    monkeypatch.setenv("CAMPAIGN_DB_URL", f"duckdb:///{target}")
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not app.exception
    assert "cannot be read" in app.error[0].value
    # the database comes back (here: the file appears); Retry recovers without a restart
    shutil.copy(demo_url.removeprefix("duckdb:///"), target)
    next(button for button in app.button if button.label == "Retry").click().run()
    _no_errors(app)
    assert app.title[0].value == "Campaigns"


def test_query_params_set_before_the_first_run_select_the_view(app: AppTest) -> None:
    app.query_params.update(
        {"campaign": "email_weekly_digest", "start": "2026-09-14", "end": "2026-09-20"}
    )
    app.query_params["tz"] = "Australia/Sydney"
    app.run()
    _no_errors(app)
    assert app.selectbox(key="f_campaign").value == "email_weekly_digest"
    assert app.date_input(key="f_dates").value == (dt.date(2026, 9, 14), dt.date(2026, 9, 20))
    assert app.selectbox(key="f_tz").value == "Australia/Sydney"
    assert _param(app, "end") == "2026-09-20"


def test_the_app_does_not_lock_a_duckdb_file_against_the_importer(
    tmp_path: Path, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    target = tmp_path / "shared.duckdb"
    shutil.copy(demo_url.removeprefix("duckdb:///"), target)
    monkeypatch.setenv("CAMPAIGN_DB_URL", f"duckdb:///{target}")
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _no_errors(app)
    # the app has read the file; a writer (the importer) can still open it
    writer = duckdb.connect(str(target))
    try:
        writer.execute("CREATE TABLE import_probe (x INTEGER)")
    finally:
        writer.close()


def test_a_failing_page_says_what_went_wrong_instead_of_a_traceback(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import data_access

    def broken(*_: object, **__: object) -> None:
        raise ValueError("the figures could not be computed")

    monkeypatch.setattr(data_access, "report", broken)
    open_page(app, "overview", campaign="push_black_friday")
    assert not app.exception
    [message] = [item.value for item in app.error]
    assert "could not be drawn" in message
    assert "ValueError: the figures could not be computed" in message
    # the sidebar filters are still there, so the reader can move on
    assert app.sidebar.selectbox
