"""Many people on one server: N browser sessions at once against a real `streamlit run`.

    python -m benchmarks.load [--sessions 20] [--seconds 60] [--events 200000] [--url URL]

Each session is its own Chromium context (its own cookies, its own Streamlit session):
it opens a shared link, then, until the time is up, moves to another page through the
sidebar and changes the date range, over and over. Every step is timed until the page
settles: the script run has finished and Streamlit's status widget and skeletons are gone
(as the browser tests wait). A step that fails, times out, or draws an error or a
traceback counts as an error. The server's resident memory is read before and after.

Without `--url` the script builds a demo database (`--events`), starts the app on a free
loopback port and stops it at the end. Prints one JSON object; `run_load` returns it too,
so a test can run a short round (5 sessions, 20 s) and assert that nothing failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SHARED_LINK = (
    "/overview?campaign=push_black_friday&start=2026-11-05&end=2026-11-12"
    "&tz=America%2FNew_York&test=false&machine=false&gran=day"
)
ROUTE = ["Engagement", "Conversions", "Audience", "Explore", "Overview", "Experiment"]
"""The pages a session moves through, in turn (each starts at a different one)."""
RANGES = ["Last 7 days", "Campaign lifetime", "Last 30 days", "Custom"]
STEP_TIMEOUT_MS = 60_000

SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-testid="stSkeleton"]');
}"""
BROKEN = """() => [...document.querySelectorAll(
        '[data-testid="stException"], [data-testid="stAlertContentError"]')]
    .map(element => element.innerText).join(' | ')"""


@dataclass
class LoadResult:
    """What one load round measured; times are seconds until the page settled."""

    sessions: int
    seconds: float
    steps: int = 0
    errors: int = 0
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    first_visit_s: float | None = None
    """The uncounted first visit of a fresh server (it imports its libraries then)."""
    rss_before_mb: float | None = None
    rss_after_mb: float | None = None
    error_samples: list[str] = field(default_factory=list)


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (Linux), None if it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def _settle(page: Any, heading: str) -> None:
    await page.get_by_role("heading", name=heading, exact=True).first.wait_for(
        timeout=STEP_TIMEOUT_MS
    )
    await page.wait_for_function(SETTLED, timeout=STEP_TIMEOUT_MS)
    shown = await page.evaluate(BROKEN)
    if shown:
        raise RuntimeError(f"{heading} shows an error: {shown}")


async def _session(
    browser: Any, base_url: str, index: int, deadline: float, times: list[float], errors: list[str]
) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)

    async def step(action: Any, heading: str) -> None:
        started = time.monotonic()
        try:
            await action()
            await _settle(page, heading)
            times.append(time.monotonic() - started)
        except Exception as error:  # a failed step is the figure we count, not a crash
            errors.append(f"session {index}, {heading}: {type(error).__name__}: {error}"[:300])
            await page.goto(base_url + SHARED_LINK)

    current = "Overview"
    await step(lambda: page.goto(base_url + SHARED_LINK), current)
    turn = index
    while time.monotonic() < deadline:
        target = ROUTE[turn % len(ROUTE)]
        if target == current:
            turn += 1
            continue
        link = page.locator('[data-testid="stSidebar"]').get_by_role("link", name=target)
        await step(link.click, target)
        current = target
        choice = RANGES[turn % len(RANGES)]
        if choice != "Custom" and time.monotonic() < deadline:

            async def pick(choice: str = choice) -> None:
                box = page.locator('[data-testid="stSidebar"]').get_by_role(
                    "combobox", name="Date range"
                )
                before = page.url
                await box.click()
                await page.get_by_role("option", name=choice).click()
                # the range is in the URL once the rerun has started (unless unchanged)
                with contextlib.suppress(Exception):
                    await page.wait_for_function(
                        "before => location.href !== before", arg=before, timeout=5_000
                    )

            await step(pick, current)
        turn += 1
    await context.close()


async def _drive(
    base_url: str, sessions: int, seconds: float, warm_up: list[float]
) -> tuple[list[float], list[str]]:
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # one visit first, not counted: a fresh server imports its libraries on first use
        started = time.monotonic()
        await _session(browser, base_url, 0, started, warm_up, errors)
        warm_up[:] = [time.monotonic() - started]
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _session(browser, base_url, index, deadline, times, errors)
                for index in range(sessions)
            )
        )
        await browser.close()
    return times, errors


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(share) - 1], 3)


def run_load(
    base_url: str, sessions: int = 20, seconds: float = 60, server_pid: int | None = None
) -> LoadResult:
    """Drive `sessions` concurrent browser sessions for `seconds` against `base_url`."""
    result = LoadResult(sessions=sessions, seconds=seconds)
    if server_pid is not None:
        result.rss_before_mb = rss_mb(server_pid)
    warm_up: list[float] = []
    times, errors = asyncio.run(_drive(base_url.rstrip("/"), sessions, seconds, warm_up))
    result.first_visit_s = round(warm_up[0], 3) if warm_up else None
    if server_pid is not None:
        result.rss_after_mb = rss_mb(server_pid)
    result.steps = len(times) + len(errors)
    result.errors = len(errors)
    result.error_samples = errors[:5]
    result.p50 = _percentile(times, 50)
    result.p95 = _percentile(times, 95)
    result.max = round(max(times), 3) if times else None
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--events", type=int, default=200_000, help="demo size without --url")
    parser.add_argument("--url", help="an app already running (RSS is then not read)")
    arguments = parser.parse_args(argv)
    if arguments.url:
        result = run_load(arguments.url, arguments.sessions, arguments.seconds)
    else:
        from data.demo import ensure_demo_database
        from tests.browser.server import start_server

        with tempfile.TemporaryDirectory(prefix="campaign_load_") as directory:
            url = f"duckdb:///{Path(directory) / 'demo.duckdb'}"
            ensure_demo_database(url, events=arguments.events)
            server = start_server(url, Path(directory) / "server.log")
            try:
                result = run_load(
                    server.base_url, arguments.sessions, arguments.seconds, server.process.pid
                )
            finally:
                server.stop()
    print(json.dumps(asdict(result), indent=2))
    return 1 if result.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
