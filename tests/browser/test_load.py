"""The load script in its short mode: five sessions for twenty seconds, and nothing fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.load import CHROMIUM, run_load
from tests.browser.server import AppServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def test_five_sessions_for_twenty_seconds_all_settle_without_an_error(server: AppServer) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's Chromium is not installed: run `make test`, which installs it")
        pytest.skip("Debian's Chromium is not installed (apt-get install -y chromium)")
    result = run_load(
        server.base_url, sessions=5, seconds=20, server_pid=server.process.pid, client="browser"
    )
    assert result.errors == 0, result.error_samples
    # every session opened the shared link at least (the machine may be busy: no speed check)
    assert result.steps >= 5, result
    assert result.p95 is not None and result.rss_after_mb is not None
