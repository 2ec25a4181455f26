"""Every page of every demo campaign, at laptop (1280x800) and narrow (800x900) widths:
no KPI value, KPI label or table header is cut off, and no error box is shown.

"Cut off" is what a reader sees as an ellipsis or a clipped number: an element whose
content is wider than its box (`scrollWidth > clientWidth`). Streamlit's data frames draw
their headers on a canvas, so the check covers the HTML tables and headers it can see.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from data.demo.catalog import campaigns_frame
from tests.browser.server import AppServer
from tests.browser.test_browser import PAGES, wait_for_run

if TYPE_CHECKING:
    # Typed as Playwright's own classes, as Streamlit's e2e helpers are; imported for the
    # checker only, so a machine without Playwright still collects (and skips) the tests.
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

VIEWPORTS = {"laptop": (1280, 800), "narrow": (800, 900)}
CAMPAIGNS = campaigns_frame()["campaign_id"].to_list()

CUT_OFF = """() => {
  const selectors = [
    '[data-testid="stMetricValue"]', '[data-testid="stMetricValue"] *',
    '[data-testid="stMetricLabel"]', '[data-testid="stMetricLabel"] *',
    '[data-testid="stTable"] th', '[data-testid="stTable"] th *',
  ];
  return [...document.querySelectorAll(selectors.join(','))]
    .filter(element => element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1)
    .map(element => `${element.tagName} "${element.innerText.slice(0, 40)}" `
      + `(${element.scrollWidth} > ${element.clientWidth})`);
}"""


@pytest.mark.parametrize("campaign", CAMPAIGNS)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_kpi_or_header_is_cut_off_on_any_page(
    server: AppServer, browser: Browser, artifacts: Path, viewport: str, campaign: str
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(
        viewport={"width": width, "height": height}, timezone_id="UTC", locale="en-GB"
    )
    try:
        page = context.new_page()
        page.set_default_timeout(90_000)
        problems: dict[str, list[str]] = {}
        for name in PAGES:
            path = "" if name == "campaigns" else name
            page.goto(f"{server.base_url}/{path}?campaign={campaign}")
            wait_for_run(page, name.capitalize())
            page.wait_for_timeout(300)
            cut = page.evaluate(CUT_OFF)
            errors = page.locator(
                '[data-testid="stException"], [data-testid="stAlertContentError"]'
            )
            if cut or errors.count():
                problems[name] = cut + [f"error box: {text}" for text in errors.all_inner_texts()]
                page.screenshot(
                    path=str(artifacts / f"cut-{viewport}-{campaign}-{name}.png"), full_page=True
                )
        assert not problems, problems
    finally:
        context.close()


def test_a_typed_date_takes_effect_on_enter(server: AppServer, page: Page) -> None:
    """Typing a date into the range field and pressing Enter changes the figures (the field
    alone would wait for a click elsewhere)."""
    from tests.browser.test_browser import metric_value, params_of

    query = "campaign=push_black_friday&start=2026-11-02&end=2026-11-22&tz=UTC"
    page.goto(f"{server.base_url}/overview?{query}")
    wait_for_run(page, "Overview")
    before = metric_value(page, "Messages sent")
    field = page.locator('[data-testid="stSidebar"] [data-testid="stDateInputField"]').first
    field.click(position={"x": 20, "y": 15})  # the start date's year
    page.keyboard.type("20261110")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"start=2026-11-10"))
    wait_for_run(page, "Overview")
    assert params_of(page)["end"] == "2026-11-22"
    page.wait_for_function(
        """(before) => {
            const card = [...document.querySelectorAll('[data-testid="stMetric"]')]
                .find(c => c.innerText.includes("Messages sent"));
            const value = card && card.querySelector('[data-testid="stMetricValue"]');
            return value && value.innerText !== before;
        }""",
        arg=before,
    )
