"""One short round of the browser timings benchmark, so that the script cannot rot.

A benchmark is not a test: no figure is compared with a target here. The round only has
to find every widget it clicks, see every step settle with a positive time, and meet no
error on the page (a renamed label or a changed page would show up here first).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from benchmarks import browser_timings
from tests.browser.server import AppServer

if TYPE_CHECKING:
    # Typed as Playwright's own classes, as Streamlit's e2e helpers are; imported for the
    # checker only, so a machine without Playwright still collects (and skips) the tests.
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

KINDS = {"first_view", "new_range", "new_zone", "new_variant", "new_page", "seen_view"}
"""One of each in the script's `--quick` round (the full round repeats them, and adds a
second browser session on the warm server; on a loaded 2-core machine that doubles it)."""


def test_one_round_times_every_step(
    server: AppServer, browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`browser` only skips the test where Chromium is missing; the script has its own."""
    output = tmp_path / "browser_timings.json"
    code = browser_timings.main(
        ["--url", server.base_url, "--repeat", "1", "--quick", "--output", str(output)]
    )
    result = json.loads(output.read_text())
    assert result["errors"] == [], result["errors"]
    assert code == 0
    assert {sample["kind"] for sample in result["samples"]} == KINDS
    assert all(sample["seconds"] > 0 for sample in result["samples"])
    assert "first_view" in capsys.readouterr().out
