"""Sign-in in the real app, against a local OpenID Connect provider started on loopback.

`oidc-provider-mock` accepts any client id and secret and shows a form whose `sub` becomes
the e-mail claim, so the test signs in as whoever it needs. Both servers use 127.0.0.1:
the host in `redirect_uri` must be the one the browser uses.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.server import AppServer, free_port, start_server
from tests.browser.test_browser import SHARED, combobox_value, date_range_text, params_of
from ui.url_state import query_string

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def provider(artifacts: Path) -> Iterator[str]:
    """The provider's base URL; it runs for the module's tests."""
    port = free_port()
    log = (artifacts / "oidc-provider.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/.well-known/openid-configuration", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the OpenID provider did not start") from None
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def signed_server(
    browser_demo_url: str, provider: str, artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    """The app with sign-in on: anyone at example.com, plus one partner address."""
    secrets = tmp_path_factory.mktemp("sign-in") / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "browser-test-cookie-secret-0123456789"\n'
        'client_id = "campaign-results"\n'
        'client_secret = "any-secret-will-do"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        "\n[access]\n"
        'allowed_domains = ["example.com"]\n'
        'allowed_emails = ["pm@partner.org"]\n'
    )
    server = start_server(
        browser_demo_url,
        artifacts / "signed-server.log",
        extra_args=["--secrets.files", str(secrets)],
    )
    yield server
    server.stop()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile: no cookies, so nobody is signed in."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, timezone_id="UTC", locale="en-GB"
    )
    context.set_default_timeout(90_000)
    yield context
    context.close()


def settled(page: Any) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
            && !document.querySelector('[data-testid="stSkeleton"]')"""
    )


def sign_in_at_provider(page: Any, provider: str, email: str) -> None:
    """On the app's sign-in page: go to the provider and authorize as `email`."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(provider)))
    page.fill('input[name="sub"]', email)
    page.get_by_role("button", name="Authorize").click()


def test_a_shared_link_opened_signed_out_leads_through_sign_in_to_that_exact_view(
    signed_server: AppServer, provider: str, context: Any, artifacts: Path
) -> None:
    page = context.new_page()
    page.goto(f"{signed_server.base_url}/overview{query_string(SHARED)}")
    page.get_by_role("button", name="Sign in").wait_for()
    settled(page)
    # nothing of the data before sign-in
    assert not page.locator('[data-testid="stMetric"]').count()
    assert not page.get_by_text("Black Friday").count()

    sign_in_at_provider(page, provider, "ana@example.com")
    page.wait_for_url(re.compile(rf"127\.0\.0\.1:{signed_server.port}/overview\?"))
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
    settled(page)
    assert params_of(page) == SHARED
    assert combobox_value(page, "Campaign") == "Black Friday teaser (A/B test)"
    assert date_range_text(page) == "2026-11-05–2026-11-12"
    assert combobox_value(page, "Time zone") == "America/New_York"
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("ana@example.com").is_visible()
    # the remembered link is used once, then forgotten
    page.wait_for_function("() => !document.cookie.includes('campaign_return_to=%2F')")
    page.screenshot(path=str(artifacts / "signed-in-deep-link.png"), full_page=True)

    # a reload keeps the user signed in and on the view
    page.reload()
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
    settled(page)
    assert params_of(page) == SHARED

    # sign out: back to the sign-in page, no data
    sidebar.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()
    page.get_by_role("button", name="Sign in").wait_for()
    settled(page)
    assert not page.locator('[data-testid="stMetric"]').count()
    assert "_streamlit_user" not in {cookie["name"] for cookie in context.cookies()}


def test_a_user_outside_the_allow_list_sees_no_data(
    signed_server: AppServer, provider: str, context: Any, artifacts: Path
) -> None:
    page = context.new_page()
    page.goto(f"{signed_server.base_url}/overview{query_string(SHARED)}")
    page.get_by_role("button", name="Sign in").wait_for()
    sign_in_at_provider(page, provider, "eve@elsewhere.org")
    page.get_by_role("heading", name="No access", exact=True).wait_for()
    settled(page)
    assert page.get_by_text("eve@elsewhere.org").first.is_visible()
    assert not page.locator('[data-testid="stMetric"]').count()
    assert not page.locator('[data-testid="stDataFrame"]').count()
    assert not page.get_by_text("Black Friday").count()
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.screenshot(path=str(artifacts / "no-access.png"), full_page=True)
