"""`python -m metrics.report`, run in-process on a DuckDB file: JSON out, or exit 2 and one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.schema import create_schema
from metrics.report import main
from metrics.report_model import CampaignReport, Kpis
from tests.metrics.builders import campaign_row, event, load
from tests.support.postgres import free_port


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A DuckDB file with campaign c1 (started 2026-03-01) and three days of events."""
    url = f"duckdb:///{tmp_path / 'campaigns.duckdb'}"
    engine = sa.create_engine(url)
    create_schema(engine)
    load(
        engine,
        campaigns=[campaign_row(started_at="2026-03-01 08:00")],
        events=[
            event("u1", "sent", "2026-03-01 09:00"),
            event("u1", "impression", "2026-03-01 09:01"),
            event("u1", "clicked", "2026-03-03 21:00"),
            event("u2", "sent", "2026-03-03 22:30"),  # newest event of c1
            event("u9", "sent", "2026-04-01 00:00", campaign_id="other"),  # newest of all
        ],
    )
    engine.dispose()
    return url


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_report_prints_every_key_with_the_default_range(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["c1", "--db", database], capsys)
    assert (status, err) == (0, "")
    report = json.loads(out)
    # every key of the glossary's report; the app's screen-only fields (the funnel, revenue
    # per bucket) are left out of the JSON
    shown = {name for name, field in CampaignReport.model_fields.items() if not field.exclude}
    assert set(report) == shown
    assert {"funnel", "revenue_series"}.isdisjoint(report)
    assert set(report["kpis"]) == set(Kpis.model_fields)
    # default range: local date of started_at .. local date of c1's newest event, in UTC
    assert report["range"] == {"start": "2026-03-01", "end": "2026-03-03", "tz": "UTC"}
    assert report["data_as_of"] == "2026-04-01T00:00:00Z"  # all of message_events
    assert [row["date"] for row in report["daily"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert report["kpis"]["messages_sent"] == 2


def test_report_follows_zone_and_granularity_flags(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        ["c1", "--db", database, "--tz", "Asia/Kolkata", "--granularity", "week"], capsys
    )
    report = json.loads(out)
    # newest event 2026-03-03 22:30 UTC is 2026-03-04 04:00 in Kolkata; 03-01 is a Sunday
    assert status == 0
    assert report["range"] == {"start": "2026-03-01", "end": "2026-03-04", "tz": "Asia/Kolkata"}
    assert report["granularity"] == "week"
    assert [row["date"] for row in report["daily"]] == ["2026-02-23", "2026-03-02"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "unknown campaign 'nope'"),
        (["c1", "--start", "2026-03-05", "--end", "2026-03-01"], "before the start date"),
        (["c1", "--tz", "Mars/Olympus_Mons"], "unknown time zone 'Mars/Olympus_Mons'"),
        (["c1", "--start", "2026-02-30"], "bad date '2026-02-30'"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    database: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run([*argv, "--db", database], capsys)
    assert status == 2
    assert out == ""
    assert message in err
    assert err.count("\n") == 1


def test_unreachable_database_exits_2_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql+psycopg://nobody:secret@127.0.0.1:{free_port()}/campaigns"
    status, out, err = run(["c1", "--db", url], capsys)
    assert status == 2 and out == ""
    assert err.startswith("error: cannot open the database")
    assert "secret" not in err  # the password is not printed
    assert err.count("\n") == 1


def test_missing_duckdb_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["c1", "--db", f"duckdb:///{tmp_path / 'missing.duckdb'}"], capsys)
    assert status == 2
    assert err.startswith("error: cannot open the database")


def _command(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metrics.report", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_the_command_writes_all_of_its_json_before_its_process_ends(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command ends its process with `os._exit` (no teardown): nothing may be lost."""
    finished = _command("c1", "--db", database)
    assert (finished.returncode, finished.stderr) == (0, "")
    assert finished.stdout.endswith("}\n")
    # the same report as `main` gives in this process, to the last byte
    _, in_process, _ = run(["c1", "--db", database], capsys)
    assert finished.stdout == in_process


def test_the_command_exits_2_with_one_line_for_an_unknown_campaign(database: str) -> None:
    finished = _command("nope", "--db", database)
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert finished.stderr == "error: unknown campaign 'nope'\n"
