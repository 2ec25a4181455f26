"""The same app on PostgreSQL: every page renders and shows the report CLI's numbers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data.demo import build_demo
from data.schema import create_schema
from metrics.report import main as report_cli
from tests.app.conftest import APP, DEMO_EVENTS, TIMEOUT, open_page
from tests.support.postgres import PostgresCluster
from ui.widgets import CHANNEL_KPIS, FORMATTERS

PAGES = ["campaigns", "overview", "engagement", "conversions", "experiment", "explore", "audience"]


@pytest.fixture(scope="module")
def postgres_demo_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A database of its own on the test cluster, filled with the small demo."""
    name = f"app_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_cluster.url.rsplit("/", 1)[0] + f"/{name}"
    writer = sa.create_engine(url)
    create_schema(writer)
    with writer.begin() as connection:
        build_demo(connection, events=DEMO_EVENTS)
    writer.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_app(postgres_demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CAMPAIGN_DB_URL", postgres_demo_url)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_postgresql(postgres_app: AppTest, page: str) -> None:
    open_page(postgres_app, page, campaign="push_black_friday", tz="Asia/Kolkata")
    assert not postgres_app.exception, [item.value for item in postgres_app.exception]
    assert not postgres_app.error, [item.value for item in postgres_app.error]
    assert postgres_app.title[0].value == page.capitalize()


def test_overview_on_postgresql_shows_the_report_clis_numbers(
    postgres_app: AppTest, postgres_demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    filters = ["--start", "2026-11-03", "--end", "2026-11-20", "--tz", "America/New_York"]
    assert report_cli(["push_black_friday", *filters, "--db", postgres_demo_url]) == 0
    kpis = json.loads(capsys.readouterr().out)["kpis"]
    open_page(
        postgres_app,
        "overview",
        campaign="push_black_friday",
        start="2026-11-03",
        end="2026-11-20",
        tz="America/New_York",
    )
    shown = {metric.label: metric.value for metric in postgres_app.metric}
    for kpi in CHANNEL_KPIS["push"]:
        assert shown[kpi.label] == FORMATTERS[kpi.kind](kpis[kpi.key]), kpi.key
