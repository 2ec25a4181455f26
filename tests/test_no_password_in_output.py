"""No command and no screen shows the database password, whether the database answers or not.

Every command takes `--db URL` (or `CAMPAIGN_DB_URL`); a URL may carry a password, and the
output of a command lands in terminals, CI logs and bug reports. Each command is run
as a user runs it (`python -m ...`, so a traceback would show too) and its whole output is
searched for the password; where the URL is shown it must read `user:***@host`
(`data.messages.shown_url`).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, TIMEOUT, open_page
from tests.support.postgres import PostgresCluster, free_port

PASSWORD = "S3cret-pw-42"
ROOT = Path(__file__).resolve().parents[1]


def _run(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `python -m ...` from the repository; its exit status and stdout + stderr."""
    done = subprocess.run(
        [sys.executable, "-m", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    return done.returncode, done.stdout + done.stderr


def _commands(url: str, tmp_path: Path) -> dict[str, list[str]]:
    """Every command that opens the database, with arguments that make it do so."""
    users = tmp_path / "users.csv"
    users.write_text("user_id,platform,device_model,is_test\nu1,ios,iPhone 15,false\n")
    export = tmp_path / "braze"
    export.mkdir(exist_ok=True)
    (export / "events.jsonl").write_text("")
    return {
        "schema": ["data.schema", "--db", url],
        "demo": ["data.demo", "--db", url, "--events", "1000"],
        "campaigns": ["data.campaigns", "set", "push_black_friday", "--name", "BF", "--db", url],
        "import": ["data.ingest", str(users), "--db", url, "--rejects", str(tmp_path / "r.csv")],
        "vendor import": ["data.ingest", str(export), "--format", "braze", "--db", url],
        "report": ["metrics.report", "push_black_friday", "--db", url],
    }


def _screen_text(app: AppTest) -> str:
    """Everything a page shows in text: titles, markdown, captions, alerts, metrics, code."""
    kinds: tuple[str, ...] = (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "code",
        "error",
    )
    kinds += ("warning", "info", "success", "exception", "metric")
    parts = [str(element.value) for kind in kinds for element in getattr(app, kind)]
    parts += [str(getattr(element, "label", "")) for element in app.metric]
    parts += [str(element.help) for element in app.metric]
    return "\n".join(parts)


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "clickhouse+http"])
def test_no_command_shows_the_password_of_a_database_that_does_not_answer(
    scheme: str, tmp_path: Path
) -> None:
    # Nothing listens on a free port: the driver's connection is refused. ClickHouse's
    # driver fails with its own and `requests`' errors, which must read as the others do.
    url = f"{scheme}://reader:{PASSWORD}@127.0.0.1:{free_port()}/campaigns"
    for name, arguments in _commands(url, tmp_path).items():
        status, output = _run(*arguments)
        assert status == 2, (name, output)
        assert PASSWORD not in output, name
        assert "reader:***@127.0.0.1" in output, (name, output)
        assert "Traceback" not in output, (name, output)
        assert output.count("\n") == 1, (name, output)  # one line: the URL and the reason
        assert "refused" in output.lower(), (name, output)  # the reason, not a side effect


def test_the_app_does_not_show_the_password_of_a_database_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql+psycopg://reader:{PASSWORD}@127.0.0.1:{free_port()}/campaigns"
    monkeypatch.setenv("CAMPAIGN_DB_URL", url)
    caplog.set_level(logging.DEBUG)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    shown = _screen_text(app)
    assert "reader:***@127.0.0.1" in shown  # the banner names the database...
    assert PASSWORD not in shown + caplog.text  # ...without its password


@pytest.fixture
def secret_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh database on the test cluster, reached by a URL that carries a password.

    The test cluster trusts loopback connections, so the password is sent and ignored: the
    commands run to success with it in their URL."""
    name = f"pw_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{postgres_cluster.port}/{name}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_no_command_and_no_page_shows_the_password_of_a_database_that_answers(
    secret_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    commands = _commands(secret_url, tmp_path)
    outputs = {}
    for name in ("schema", "demo", "campaigns", "import", "report"):
        status, outputs[name] = _run(*commands[name])
        assert status == 0, (name, outputs[name])
        assert PASSWORD not in outputs[name], name
    # the commands that name the database name it without its password
    assert "postgres:***@127.0.0.1" in outputs["schema"]
    # the same through the environment, as the app reads it
    env = {"CAMPAIGN_DB_URL": secret_url}
    status, output = _run("metrics.report", "push_black_friday", env=env)
    assert status == 0 and PASSWORD not in output

    monkeypatch.setenv("CAMPAIGN_DB_URL", secret_url)
    caplog.set_level(logging.DEBUG)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for page in ("campaigns", "overview", "audience"):
        open_page(app, page, campaign="push_black_friday")
        assert not app.exception, [item.value for item in app.exception]
        assert PASSWORD not in _screen_text(app) + caplog.text, page
