"""Fixtures of the browser tests: a demo database, the app server, headless Chromium.

Chromium is Debian's (`/usr/bin/chromium`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from data.demo import ensure_demo_database
from tests.browser.server import ROOT, AppServer, start_server

if TYPE_CHECKING:
    # Typed as Playwright's own classes, as Streamlit's e2e helpers are; imported for the
    # checker only, so a machine without Playwright still collects (and skips) the tests.
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="session")
def browser_demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('browser-demo') / 'demo.duckdb'}"
    ensure_demo_database(url, events=20_000)
    return url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _server(url: str, name: str, artifacts: Path) -> Iterator[AppServer]:
    server = start_server(url, artifacts / f"{name}.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(browser_demo_url: str, artifacts: Path) -> Iterator[AppServer]:
    """One app server shared by the tests of a module."""
    yield from _server(browser_demo_url, "server", artifacts)


@pytest.fixture
def fresh_server(browser_demo_url: str, artifacts: Path) -> Iterator[AppServer]:
    """A server that has not answered any page yet (for the first-request test)."""
    yield from _server(browser_demo_url, "fresh-server", artifacts)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's Chromium is not installed: run `make test`, which installs it")
        pytest.skip("Debian's Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, timezone_id="UTC", locale="en-GB"
    )
    tab = context.new_page()
    tab.set_default_timeout(90_000)
    yield tab
    context.close()
