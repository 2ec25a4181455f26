"""The database goes away under a live session: a banner with the reason and Retry, never a
traceback, and the app answers again without a restart once the database is back."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data.demo import build_demo
from data.schema import create_schema
from tests.app.conftest import APP, DEMO_EVENTS, TIMEOUT, open_page
from tests.support import postgres

LOCK_HOLDER = (
    "import sys, duckdb\n"
    "connection = duckdb.connect(sys.argv[1])\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
    "connection.close()\n"
)
"""A second process writing to the DuckDB file, as the importer does while it runs."""


def _no_errors(app: AppTest) -> None:
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]


def _retry(app: AppTest) -> AppTest:
    return next(button for button in app.button if button.label == "Retry").click().run()


def _banner(app: AppTest) -> str:
    assert not app.exception, [item.value for item in app.exception]
    [message] = [item.value for item in app.error]
    return message


@pytest.fixture
def demo_copy(tmp_path: Path, demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo file (its own engine, so its own timeout and pool)."""
    target = tmp_path / f"copy-{uuid.uuid4().hex[:8]}.duckdb"
    shutil.copy(demo_url.removeprefix("duckdb:///"), target)
    monkeypatch.setenv("CAMPAIGN_DB_URL", f"duckdb:///{target}")
    return target


def test_a_duckdb_file_locked_by_a_writer_shows_the_banner_and_retry_recovers_after_it(
    demo_copy: Path,
) -> None:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    open_page(app, "overview", campaign="push_black_friday", tz="UTC")
    _no_errors(app)
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(demo_copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        # a range not seen yet must be read from the database, which the writer locks
        app.selectbox(key="f_preset").select("last_7").run()
        message = _banner(app)
        assert "cannot be read" in message
        assert "lock" in message.lower()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    _retry(app)
    _no_errors(app)
    assert app.title[0].value == "Overview"
    assert app.metric


def test_a_duckdb_file_replaced_by_a_broken_one_shows_the_banner_until_it_is_restored(
    demo_copy: Path,
) -> None:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    open_page(app, "overview", campaign="push_black_friday", tz="UTC")
    _no_errors(app)
    good = demo_copy.with_suffix(".good")
    demo_copy.rename(good)
    demo_copy.write_bytes(b"half a file copied over the network" * 100)
    app.selectbox(key="f_preset").select("last_7").run()
    assert "cannot be read" in _banner(app)
    # still broken: Retry shows the banner again, no traceback
    _retry(app)
    assert "cannot be read" in _banner(app)
    good.replace(demo_copy)
    _retry(app)
    _no_errors(app)
    assert app.title[0].value == "Overview"


def test_a_view_that_would_run_past_the_query_timeout_says_so_instead_of_hanging(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import data_access

    monkeypatch.setenv("CAMPAIGN_QUERY_TIMEOUT_SECONDS", "0.5")

    def slow_report(connection: sa.Connection, *_: object) -> None:
        connection.execute(
            sa.text("SELECT count(*) FROM range(100000000000) AS t(i) WHERE i % 7 = 3")
        ).all()

    monkeypatch.setattr(data_access, "build_report", slow_report)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    open_page(app, "overview", campaign="push_black_friday", tz="UTC")
    assert not app.exception
    [message] = [item.value for item in app.warning]
    assert message.startswith("This view could not be computed in time: the query took longer")
    assert "0.5 s" in message
    assert [button.label for button in app.button if button.label == "Retry"] == ["Retry"]
    assert app.sidebar.selectbox, "the filters stay, so the reader can pick a shorter range"


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[postgres.PostgresCluster]:
    """A cluster of this module's own: the test stops and starts it."""
    if not postgres.available():
        pytest.skip("PostgreSQL 15 is not installed (apt-get install -y postgresql)")
    cluster = postgres.start_cluster()
    writer = sa.create_engine(cluster.url)
    create_schema(writer)
    with writer.begin() as connection:
        build_demo(connection, events=DEMO_EVENTS)
    writer.dispose()
    yield cluster
    cluster.stop()


def test_postgresql_stopped_under_a_session_shows_the_banner_and_retry_recovers_once_started(
    own_cluster: postgres.PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DB_URL", own_cluster.url)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    open_page(app, "overview", campaign="push_black_friday", tz="UTC")
    _no_errors(app)
    own_cluster.halt()
    try:
        app.selectbox(key="f_preset").select("last_7").run()
        message = _banner(app)
        assert "cannot be read" in message
        assert f"127.0.0.1:{own_cluster.port}" in message
        _retry(app)
        assert "cannot be read" in _banner(app)
    finally:
        own_cluster.resume()
    _retry(app)
    _no_errors(app)
    assert app.title[0].value == "Overview"
    assert app.metric
