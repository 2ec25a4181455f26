"""Every page of every demo campaign, at laptop (1280x800) and narrow (800x900) widths:
no KPI value, KPI label or table header is cut off, and no error box is shown.

"Cut off" is what a reader sees as an ellipsis or a clipped number: an element whose
content is wider than its box (`scrollWidth > clientWidth`). Streamlit's data frames draw
their headers on a canvas, so the check covers the HTML tables and headers it can see.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from data.demo_catalog import campaigns_frame
from tests.browser.server import AppServer
from tests.browser.test_browser import PAGES, wait_for_run

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
    server: AppServer, browser: object, artifacts: Path, viewport: str, campaign: str
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(  # type: ignore[attr-defined]
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
