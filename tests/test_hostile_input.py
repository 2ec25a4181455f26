"""Hostile values from a link or the command line: quotes, `;`, unicode, 10 kB, NUL.

They reach SQL only as bound parameters, or after a check against a closed list (dates,
zones, granularities, splits, and the catalog's own campaign, variant and action ids), and
they never raise: a bad value is dropped with a short message that does not echo it whole.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from data.demo import ensure_demo_database
from data.queries import catalog
from data.queries.audience import segment_query, write_segment_csv
from data.schema import TABLES, campaigns, message_events
from data.scope import Scope
from data.vocabulary import GRANULARITIES, SPLITS
from metrics.report import main as report_cli
from ui.url_state import (
    MAX_VALUE_LENGTH,
    PARAM_ORDER,
    ViewState,
    parse_query,
    resolve_view,
)

HOSTILE = [
    "x' OR '1'='1",
    "push'; DROP TABLE message_events; --",
    'a"b\\c',
    "1; SELECT pg_sleep(10)",
    "Ω≈ç√ 日本語 🚀",
    "e\u0301\u200b",
    "%27%3B--",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "`](javascript:alert(1))",
    "a" * 10_240,
    "bad\x00nul",
    "line\nbreak",
    "  ",
]
"""Each is tried in every parameter of a link and in the report CLI's arguments."""

SQL_SAFE = [value for value in HOSTILE if "\x00" not in value]
"""What may reach a query at all (the parser drops NUL, which PostgreSQL cannot store)."""

CATALOG = pl.DataFrame(
    {
        "campaign_id": ["push_bf", "email_digest"],
        "started_at": [dt.datetime(2026, 11, 2, tzinfo=dt.UTC)] * 2,
        "ended_at": [None, None],
        "last_event_at": [dt.datetime(2026, 11, 22, tzinfo=dt.UTC)] * 2,
    },
    schema_overrides={"ended_at": pl.Datetime(time_zone="UTC")},
)


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("name", PARAM_ORDER)
def test_a_hostile_value_in_any_link_parameter_is_checked_or_dropped_never_raised(
    name: str, value: str
) -> None:
    state, messages = parse_query({"campaign": "push_bf"} | {name: value})
    assert isinstance(state, ViewState)
    # closed lists: only their own values get through
    assert state.tz == "UTC"
    assert state.gran in GRANULARITIES
    assert state.split is None or state.split in SPLITS
    assert state.start is None and state.end is None
    assert state.test is False and state.machine is False
    for text in (state.campaign, state.variant, state.action, state.figure):
        assert text is None or (len(text) <= MAX_VALUE_LENGTH and text.isprintable())
    assert all(len(message) < 400 and "\x00" not in message for message in messages)

    resolved, more = resolve_view(
        state, CATALOG, variant_ids=["A", "B"], action_ids=["teaser"], figures=["ctr"]
    )
    assert resolved.campaign in {"push_bf", "email_digest"}
    assert resolved.variant is None and resolved.action is None and resolved.figure is None
    assert all(len(message) < 400 for message in more)


def test_a_10_kb_or_nul_value_is_dropped_with_a_message_that_does_not_echo_it() -> None:
    state, messages = parse_query({"campaign": "c" * 10_240, "variant": "A\x00"})
    assert state.campaign is None and state.variant is None
    assert messages == [
        "`campaign` is too long or holds control characters: it is ignored.",
        "`variant` is too long or holds control characters: it is ignored.",
    ]


@pytest.mark.parametrize("value", SQL_SAFE, ids=range(len(SQL_SAFE)))
def test_hostile_ids_reach_sql_as_bound_parameters_on_both_backends(
    engine: sa.Engine, value: str
) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.insert(campaigns),
            [
                {
                    "campaign_id": "push_bf",
                    "name": "Black Friday",
                    "channel": "push",
                    "started_at": dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
                }
            ],
        )
    with engine.connect() as connection:
        assert catalog.campaign_variants(connection, value).height == 0
        assert catalog.campaign_actions(connection, value).height == 0
        day = dt.date(2026, 11, 2)
        scope = Scope(campaign_id=value, start=day, end=day, variant=value)
        query = segment_query(scope, action_id=value)
        assert value not in str(query.compile(dialect=connection.dialect))
        assert connection.execute(query).all() == []
        # every table is still there and untouched
        for table in TABLES.values():
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(message_events)).scalar() == 0
        )


@pytest.fixture(scope="module")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('hostile') / 'demo.duckdb'}"
    ensure_demo_database(url, events=2_000)
    return url


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_the_report_cli_refuses_hostile_arguments_in_one_line_without_a_traceback(
    report_db: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for arguments in (
        [value],
        ["push_black_friday", "--tz", value],
        ["push_black_friday", "--start", value],
    ):
        assert report_cli([*arguments, "--db", report_db]) == 2, arguments
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("error: ") or captured.err.startswith("usage: ")
        assert "Traceback" not in captured.err


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_the_report_cli_reads_a_hostile_variant_or_action_as_plain_text(
    report_db: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for option in ("--variant", "--action"):
        code = report_cli(["push_black_friday", option, value, "--db", report_db])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        if code == 0:
            report = json.loads(captured.out)
            assert report["kpis"]["messages_sent"] == 0, option
        else:
            assert code == 2 and captured.err.startswith("error: ")


def test_a_hostile_segment_csv_is_just_a_header(engine: sa.Engine, tmp_path: Path) -> None:
    day = dt.date(2026, 11, 2)
    query = segment_query(Scope(campaign_id="x'; DROP TABLE users; --", start=day, end=day))
    out = tmp_path / "users.csv"
    with engine.connect() as connection, out.open("w") as handle:
        assert write_segment_csv(connection, query, handle) == 0
    assert out.read_text() == "user_id\n"
