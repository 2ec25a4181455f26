"""Many people on one server: N sessions at once against a real `streamlit run`.

    python -m benchmarks.load [--client protocol|browser] [--sessions 20] [--seconds 60]
                              [--events 200000] [--url URL]

Each session opens a shared link, then, until the time is up, moves to another page and
changes the date range, over and over. Every step is timed until the page settles. A step
that fails, times out, or draws an error or a traceback counts as an error. The server's
resident memory is read before and after.

Two clients, because on a small machine the load generator competes with the server:
- `browser`: each session is its own Chromium context (own cookies, own Streamlit
  session) clicking the sidebar links and the range picker; a step settles when the run
  has finished and Streamlit's status widget and skeletons are gone (as the browser tests
  wait). Faithful, but Chromium needs seconds of CPU to draw a page of charts, so on two
  cores twenty of them measure Chromium, not the app.
- `protocol` (default): each session speaks Streamlit's own WebSocket protocol, as the
  browser does (a rerun request with the page and the query string), and a step settles
  when the server says the run has finished; every element the run sends is checked for
  an exception or an error alert. This is the server's time to answer, as a Locust-style
  load test measures it.

Without `--url` the script builds a demo database (`--events`), starts the app on a free
loopback port and stops it at the end. Prints one JSON object; `run_load` returns it too,
so a test can run a short round (5 sessions, 20 s) and assert that nothing failed.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
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
THINK_SECONDS = 2.0
"""A person reads a page before the next click; without a pause, N sessions are N robots."""

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
    client: str = "protocol"
    think_s: float = THINK_SECONDS
    steps: int = 0
    errors: int = 0
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    first_visit_s: float | None = None
    """The uncounted first visit of a fresh server (it imports its libraries then)."""
    rss_before_mb: float | None = None
    rss_after_mb: float | None = None
    server_cpu_s: float | None = None
    """The server process's CPU time (user + system, every thread) over the round."""
    cpu_per_step_ms: float | None = None
    """`server_cpu_s` per step: what one interaction costs the server, whatever else runs
    on the machine (wall-clock times are not, on a shared machine)."""
    error_samples: list[str] = field(default_factory=list)


def cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used so far (user + system, all threads; Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    # polled on a timer, not on animation frames, which a busy renderer delays
    await page.wait_for_function(SETTLED, timeout=STEP_TIMEOUT_MS, polling=100)
    shown = await page.evaluate(BROKEN)
    if shown:
        raise RuntimeError(f"{heading} shows an error: {shown}")


async def _session(
    browser: Any,
    base_url: str,
    index: int,
    deadline: float,
    times: list[float],
    errors: list[str],
    think: float = 0.0,
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
        await asyncio.sleep(think)

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
    base_url: str,
    sessions: int,
    seconds: float,
    warm_up: list[float],
    think: float,
    warmed_up: Callable[[], None] = lambda: None,
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
        warmed_up()
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _session(browser, base_url, index, deadline, times, errors, think)
                for index in range(sessions)
            )
        )
        await browser.close()
    return times, errors


RANGES_IN_LINK = [
    ("2026-11-16", "2026-11-22"),
    ("2026-11-02", "2026-11-22"),
    ("2026-10-24", "2026-11-22"),
    ("2026-11-05", "2026-11-12"),
]
"""The ranges the protocol client asks for: last 7 days, lifetime, last 30, the link's."""


def _link_query(start: str, end: str) -> str:
    query = SHARED_LINK.split("?", 1)[1]
    return query.replace("2026-11-05", start).replace("2026-11-12", end)


async def _protocol_step(connection: Any, page: str, query: str) -> None:
    """Ask for a run of `page` with `query` and wait for it to finish; raise on an error."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    request = BackMsg()
    request.rerun_script.query_string = query
    request.rerun_script.page_name = page
    request.rerun_script.context_info.timezone = "UTC"
    await connection.send(request.SerializeToString())
    while True:
        message = ForwardMsg()
        message.ParseFromString(await asyncio.wait_for(connection.recv(), STEP_TIMEOUT_MS / 1000))
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            shown = element.WhichOneof("type")
            if shown == "exception" or (shown == "alert" and element.alert.format == 1):
                text = element.exception.message if shown == "exception" else element.alert.body
                raise RuntimeError(f"{page} shows an error: {text}")
        if kind == "script_finished":
            if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                raise RuntimeError(f"{page}: the script did not compile")
            if message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return


async def _protocol_session(
    base_url: str,
    index: int,
    deadline: float,
    times: list[float],
    errors: list[str],
    think: float = 0.0,
) -> None:
    import websockets
    from websockets.typing import Subprotocol

    address = base_url.replace("http", "ws", 1) + "/_stcore/stream"
    streamlit = Subprotocol("streamlit")
    async with websockets.connect(address, subprotocols=[streamlit], max_size=None) as link:

        async def step(page: str, query: str) -> None:
            started = time.monotonic()
            try:
                await _protocol_step(link, page, query)
                times.append(time.monotonic() - started)
            except Exception as error:  # a failed step is the figure we count
                errors.append(f"session {index}, {page}: {type(error).__name__}: {error}"[:300])
            await asyncio.sleep(think)

        await step("overview", _link_query("2026-11-05", "2026-11-12"))
        turn = index
        while time.monotonic() < deadline:
            page = ROUTE[turn % len(ROUTE)].lower()
            start, end = RANGES_IN_LINK[turn % len(RANGES_IN_LINK)]
            await step(page, _link_query("2026-11-05", "2026-11-12"))
            if time.monotonic() < deadline:
                await step(page, _link_query(start, end))
            turn += 1


async def _drive_protocol(
    base_url: str,
    sessions: int,
    seconds: float,
    warm_up: list[float],
    think: float,
    warmed_up: Callable[[], None] = lambda: None,
) -> tuple[list[float], list[str]]:
    times: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    await _protocol_session(base_url, 0, started, warm_up, errors)
    warm_up[:] = [time.monotonic() - started]
    warmed_up()
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(
            _protocol_session(base_url, index, deadline, times, errors, think)
            for index in range(sessions)
        )
    )
    return times, errors


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(share) - 1], 3)


def run_load(
    base_url: str,
    sessions: int = 20,
    seconds: float = 60,
    server_pid: int | None = None,
    client: str = "protocol",
    think: float = THINK_SECONDS,
) -> LoadResult:
    """Drive `sessions` concurrent sessions for `seconds` against `base_url`."""
    result = LoadResult(sessions=sessions, seconds=seconds, client=client, think_s=think)
    if server_pid is not None:
        result.rss_before_mb = rss_mb(server_pid)
    cpu_before: list[float | None] = [None]

    def warmed_up() -> None:
        # CPU is counted from here: the uncounted first visit imports the libraries
        if server_pid is not None:
            cpu_before[0] = cpu_seconds(server_pid)

    warm_up: list[float] = []
    drive = _drive_protocol if client == "protocol" else _drive
    # in a thread of its own: the caller may already run an event loop (Playwright's sync
    # API in the browser tests does), and asyncio.run refuses to nest
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        times, errors = pool.submit(
            asyncio.run,
            drive(base_url.rstrip("/"), sessions, seconds, warm_up, think, warmed_up),
        ).result()
    result.first_visit_s = round(warm_up[0], 3) if warm_up else None
    if server_pid is not None:
        result.rss_after_mb = rss_mb(server_pid)
        cpu_after = cpu_seconds(server_pid)
        if cpu_before[0] is not None and cpu_after is not None:
            result.server_cpu_s = round(cpu_after - cpu_before[0], 2)
    result.steps = len(times) + len(errors)
    result.errors = len(errors)
    result.error_samples = errors[:5]
    result.p50 = _percentile(times, 50)
    result.p95 = _percentile(times, 95)
    result.max = round(max(times), 3) if times else None
    if result.server_cpu_s is not None and result.steps:
        result.cpu_per_step_ms = round(1000 * result.server_cpu_s / result.steps, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=["protocol", "browser"], default="protocol")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--think", type=float, default=THINK_SECONDS, help="pause between steps")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--events", type=int, default=200_000, help="demo size without --url")
    parser.add_argument("--url", help="an app already running (RSS is then not read)")
    arguments = parser.parse_args(argv)
    if arguments.url:
        result = run_load(
            arguments.url,
            arguments.sessions,
            arguments.seconds,
            client=arguments.client,
            think=arguments.think,
        )
    else:
        from data.demo import ensure_demo_database
        from tests.browser.server import start_server

        with tempfile.TemporaryDirectory(prefix="campaign_load_") as directory:
            url = f"duckdb:///{Path(directory) / 'demo.duckdb'}"
            ensure_demo_database(url, events=arguments.events)
            server = start_server(url, Path(directory) / "server.log")
            try:
                result = run_load(
                    server.base_url,
                    arguments.sessions,
                    arguments.seconds,
                    server.process.pid,
                    arguments.client,
                    arguments.think,
                )
            finally:
                server.stop()
    print(json.dumps(asdict(result), indent=2))
    return 1 if result.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
