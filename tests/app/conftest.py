"""A small demo database for the app's tests, built once per test session (and worker)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.demo import ensure_demo_database

APP = str(Path(__file__).resolve().parents[2] / "main.py")
DEMO_EVENTS = 20_000
TIMEOUT = 120


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB demo file with the four demo campaigns (20,000 events)."""
    url = f"duckdb:///{tmp_path_factory.mktemp('app-demo') / 'demo.duckdb'}"
    ensure_demo_database(url, events=DEMO_EVENTS)
    return url


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The app, pointed at the demo database, not yet run."""
    monkeypatch.setenv("CAMPAIGN_DB_URL", demo_url)
    yield AppTest.from_file(APP, default_timeout=TIMEOUT)


def open_page(app: AppTest, page: str, **params: str) -> AppTest:
    """Open `app_pages/<page>.py` with query parameters, as a shared link would.

    AppTest needs one run to learn the pages of `st.navigation`; the link's parameters
    are then set alone (the first run's canonical ones cleared) for the page's run.
    """
    app.run()
    app.query_params.clear()
    for key, value in params.items():
        app.query_params[key] = value
    if page == "campaigns":
        app.run()
    else:
        app.switch_page(f"app_pages/{page}.py").run()
    return app
