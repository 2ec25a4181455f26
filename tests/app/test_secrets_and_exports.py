"""No secret leaks into a page, a log or an error; user-id downloads are capped and say so."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data.ingest import main as import_cli
from data.queries.audience import EXPORT_ROW_CAP, segment_query, write_segment_csv
from data.schema import message_events
from data.scope import Scope
from metrics.report import main as report_cli
from tests.app.conftest import APP, TIMEOUT, open_page
from tests.support.postgres import free_port

PASSWORD = "S3cret-pw-42"


@pytest.fixture
def secret_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """A PostgreSQL URL with a password, to a port where nothing listens."""
    url = f"postgresql+psycopg://reader:{PASSWORD}@127.0.0.1:{free_port()}/campaigns"
    monkeypatch.setenv("CAMPAIGN_DB_URL", url)
    return url


def test_the_outage_banner_and_the_logs_never_show_the_database_password(
    secret_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not app.exception
    [banner] = [item.value for item in app.error]
    assert "reader:***@127.0.0.1" in banner
    everything = " ".join(
        [str(element.value) for kind in (app.markdown, app.error, app.caption) for element in kind]
        + [record.getMessage() for record in caplog.records]
        + [caplog.text]
    )
    assert PASSWORD not in everything


def test_the_report_and_import_commands_never_print_the_database_password(
    secret_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report_cli(["push_black_friday", "--db", secret_url]) == 2
    users = tmp_path / "users.csv"
    users.write_text("user_id\nu1\n")
    assert import_cli([str(users), "--db", secret_url]) == 2
    captured = capsys.readouterr()
    assert "reader:***@127.0.0.1" in captured.err
    assert PASSWORD not in captured.out + captured.err


def test_a_segment_download_holds_at_most_the_cap_first_ids_first(engine: sa.Engine) -> None:
    start = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    rows = [
        {
            "event_id": f"e{number}",
            "campaign_id": "c1",
            "user_id": f"u{number}",
            "event_type": "entered",
            "occurred_at": start + dt.timedelta(hours=1),
        }
        for number in (5, 3, 9, 1)
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(message_events), rows)
    query = segment_query(Scope(campaign_id="c1", start=start.date(), end=start.date()))
    out = io.StringIO()
    with engine.connect() as connection:
        assert write_segment_csv(connection, query, out, limit=2) == 2
    assert out.getvalue() == "user_id\nu1\nu3\n"


def test_the_audience_page_states_the_download_cap(app: AppTest) -> None:
    open_page(app, "audience", campaign="push_black_friday")
    assert EXPORT_ROW_CAP == 1_000_000
    assert any("at most 1,000,000 ids" in caption.value for caption in app.caption)
