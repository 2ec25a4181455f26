"""The real app in headless Chromium: shared links, filters in the URL, page moves, screenshots."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.server import AppServer
from ui.url_state import query_string

if TYPE_CHECKING:
    # Typed as Playwright's own classes, as Streamlit's e2e helpers are; imported for the
    # checker only, so a machine without Playwright still collects (and skips) the tests.
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SHARED = {
    "campaign": "push_black_friday",
    "start": "2026-11-05",
    "end": "2026-11-12",
    "tz": "America/New_York",
    "test": "false",
    "machine": "false",
    "gran": "day",
}
PAGES = ["campaigns", "overview", "engagement", "conversions", "experiment", "explore", "audience"]


def wait_for_run(page: Page, title: str) -> None:
    """Wait until the page's title is drawn and the script run has finished."""
    page.get_by_role("heading", name=title, exact=True).first.wait_for()
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    # the last elements of a run are drawn a moment after it ends (skeletons until then)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
            && !document.querySelector('[data-testid="stSkeleton"]')"""
    )


def params_of(page: Page) -> dict[str, str]:
    query = parse_qs(urlparse(page.url).query)
    return {key: values[-1] for key, values in query.items()}


def sidebar(page: Page) -> Locator:
    return page.locator('[data-testid="stSidebar"]')


def combobox_value(page: Page, label: str) -> str:
    """The shown value of a sidebar selectbox (a combobox whose input holds the choice)."""
    box = sidebar(page).get_by_role("combobox", name=label, exact=True)
    return box.input_value()


def date_range_text(page: Page) -> str:
    """The sidebar's date range as shown, e.g. "2026-11-05–2026-11-12"."""
    field = sidebar(page).locator('[data-testid="stDateInputField"]')
    return re.sub(r"\s+", "", field.inner_text())


def metric_value(page: Page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]', has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def test_a_shared_link_opens_its_view_on_a_freshly_started_server(
    fresh_server: AppServer, page: Page, artifacts: Path
) -> None:
    page.goto(f"{fresh_server.base_url}/overview{query_string(SHARED)}")
    wait_for_run(page, "Overview")
    assert combobox_value(page, "Campaign") == "Black Friday teaser (A/B test)"
    assert date_range_text(page) == "2026-11-05–2026-11-12"
    assert combobox_value(page, "Time zone") == "America/New_York"
    assert combobox_value(page, "Date range") == "Custom"
    header = page.get_by_text("2026-11-05 to 2026-11-12 (America/New_York)")
    assert header.first.is_visible()
    assert params_of(page) == SHARED
    page.screenshot(path=str(artifacts / "shared-link.png"), full_page=True)


def test_changing_the_range_changes_a_kpi_and_the_url(
    server: AppServer, page: Page, artifacts: Path
) -> None:
    lifetime = SHARED | {"start": "2026-11-02", "end": "2026-11-22", "tz": "UTC"}
    page.goto(f"{server.base_url}/overview{query_string(lifetime)}")
    wait_for_run(page, "Overview")
    before = metric_value(page, "Messages sent")
    sidebar(page).get_by_role("combobox", name="Date range").click()
    page.get_by_role("option", name="Last 7 days").click()
    page.wait_for_url(re.compile(r"start=2026-11-16"))
    wait_for_run(page, "Overview")
    # the campaign's newest event is on 2026-11-22, so the last 7 days are 16th..22nd
    assert params_of(page)["end"] == "2026-11-22"
    page.wait_for_function(
        """([label, before]) => {
            const card = [...document.querySelectorAll('[data-testid="stMetric"]')]
                .find(c => c.innerText.includes(label));
            const value = card && card.querySelector('[data-testid="stMetricValue"]');
            return value && value.innerText !== before;
        }""",
        arg=["Messages sent", before],
    )
    assert metric_value(page, "Messages sent") != before
    page.screenshot(path=str(artifacts / "range-changed.png"), full_page=True)


def test_moving_to_another_page_and_back_keeps_the_filters(server: AppServer, page: Page) -> None:
    page.goto(f"{server.base_url}/overview{query_string(SHARED)}")
    wait_for_run(page, "Overview")
    side = sidebar(page)
    side.get_by_role("link", name="Engagement").click()
    page.wait_for_url(re.compile(r"/engagement\?"))
    wait_for_run(page, "Engagement")
    assert params_of(page) == SHARED
    side.get_by_role("link", name="Overview").click()
    page.wait_for_url(re.compile(r"/overview\?"))
    wait_for_run(page, "Overview")
    assert params_of(page) == SHARED
    assert date_range_text(page) == "2026-11-05–2026-11-12"
    assert combobox_value(page, "Time zone") == "America/New_York"


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_screenshotted(
    server: AppServer, page: Page, artifacts: Path, name: str
) -> None:
    view = SHARED | {"start": "2026-11-02", "end": "2026-11-22"}
    page.set_viewport_size({"width": 1400, "height": 2600})
    path = "" if name == "campaigns" else name  # the default page lives at the root
    page.goto(f"{server.base_url}/{path}{query_string(view)}")
    wait_for_run(page, name.capitalize())
    # every chart has drawn its canvas or svg
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .every(chart => chart.querySelector('canvas, svg.marks'))"""
    )
    page.wait_for_timeout(500)
    assert not page.locator('[data-testid="stException"]').count()
    page.screenshot(path=str(artifacts / f"page-{name}.png"), full_page=True)


def test_the_app_follows_a_dark_system_theme(
    server: AppServer, browser: Browser, artifacts: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 1400, "height": 2600}, color_scheme="dark", timezone_id="UTC"
    )
    try:
        page = context.new_page()
        page.set_default_timeout(90_000)
        view = SHARED | {"start": "2026-11-02", "end": "2026-11-22"}
        page.goto(f"{server.base_url}/engagement{query_string(view)}")
        wait_for_run(page, "Engagement")
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                .every(chart => chart.querySelector('canvas, svg.marks'))"""
        )
        background = page.evaluate(
            """() => getComputedStyle(document.querySelector('[data-testid="stApp"]'))
                .backgroundColor"""
        )
        red, green, blue = (int(part) for part in re.findall(r"\d+", background)[:3])
        assert red + green + blue < 3 * 80, background  # a dark background
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "dark-engagement.png"), full_page=True)
    finally:
        context.close()


def test_a_kpi_card_opens_explore_with_its_figure_and_the_same_filters(
    server: AppServer, page: Page
) -> None:
    page.goto(f"{server.base_url}/overview{query_string(SHARED)}")
    wait_for_run(page, "Overview")
    page.get_by_role("link", name="Explore over time").first.click()
    page.wait_for_url(re.compile(r"/explore\?"))
    wait_for_run(page, "Explore")
    # the push Overview's first explorable card is Messages sent
    assert params_of(page) == SHARED | {"figure": "messages_sent"}
    figure = page.get_by_role("combobox", name="Figure", exact=True)
    assert figure.input_value() == "Messages sent"
    copy = sidebar(page).get_by_role("button", name=re.compile("Copy link"))
    copy.click()
    shown = page.locator('[data-testid="stPopoverBody"] code').inner_text()
    assert shown.startswith(f"{server.base_url}/explore?campaign=push_black_friday&start=")
    assert "figure=messages_sent" in shown


def test_clicking_a_campaign_opens_its_overview_with_the_url_set(
    server: AppServer, page: Page
) -> None:
    page.goto(f"{server.base_url}/{query_string(SHARED | {'tz': 'UTC'})}")
    wait_for_run(page, "Campaigns")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    # the selection box of the second row (rows are newest start first: the flash sale)
    grid.click(position={"x": 18, "y": 35 + 35 + 17})
    page.wait_for_url(re.compile(r"/overview\?campaign=push_flash_no_goal"))
    wait_for_run(page, "Overview")
    params = params_of(page)
    # the flash sale's own default range, in the zone the Campaigns page was viewed in
    assert (params["start"], params["end"], params["tz"]) == ("2026-10-20", "2026-10-23", "UTC")


def test_users_in_campaign_downloads_the_audience_as_csv(
    server: AppServer, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{server.base_url}/audience{query_string(SHARED)}")
    wait_for_run(page, "Audience")
    button = page.get_by_role("button", name=re.compile(r"Users in campaign \((.+)\)"))
    label = button.inner_text()
    count = re.search(r"\(([\d,]+)\)", label)
    assert count is not None, label
    expected = int(count.group(1).replace(",", ""))
    with page.expect_download() as download_info:
        button.click()
    path = tmp_path / "users.csv"
    download_info.value.save_as(path)
    lines = path.read_text().splitlines()
    # a header, then one distinct user id per line: as many as the audience size shown
    assert lines[0] == "user_id"
    assert len(lines) - 1 == expected
    assert len(set(lines[1:])) == expected


def test_a_folded_table_is_drawn_when_a_reader_opens_it(server: AppServer, page: Page) -> None:
    """The "Every figure" table is folded and built only when opened (`ui.widgets.folded`):
    closed, the page holds no grid for it; one click reruns the page and draws the grid
    and its download."""
    page.goto(f"{server.base_url}/overview{query_string(SHARED)}")
    wait_for_run(page, "Overview")
    folded = page.locator('[data-testid="stExpander"]', has_text="Every figure of this view")
    assert folded.locator('[data-testid="stDataFrame"]').count() == 0
    folded.get_by_text("Every figure of this view").click()
    folded.get_by_role("button", name="Download CSV").wait_for()
    wait_for_run(page, "Overview")
    grid = folded.locator('[data-testid="stDataFrame"]')
    assert grid.count() == 1 and grid.is_visible()
