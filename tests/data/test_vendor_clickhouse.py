"""A vendor export into the two-shard ClickHouse cluster: the same accounting and rows as
on DuckDB, a second import loads nothing, and a damaged file leaves nothing behind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from data.ingest import main as ingest_main
from tests.data.vendor_support import UTC, write_export
from tests.support import clickhouse

pytestmark = pytest.mark.xdist_group("clickhouse")

T0 = int(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp())


def _event(n: int, kind: str, user: str, minutes: int, **properties: Any) -> dict[str, Any]:
    """A Currents event of campaign c1 (variation A, dispatch d1) unless told otherwise."""
    return {
        "event_type": kind,
        "id": f"e{n}",
        "time": T0 + 60 * minutes,
        "user": {"user_id": user},
        "properties": {
            "campaign_id": "c1",
            "campaign_name": "Spring sale",
            "message_variation_id": "A",
            "dispatch_id": "d1",
            "platform": "iOS",
            "device_model": "iPhone 15",
            **properties,
        },
    }


PUSH = "users.messages.pushnotification"


def _export(folder: Path) -> list[Path]:
    """Two files of two campaigns; worked out by hand:

    file 1: 6 records: 4 loaded (u1 send and open, u2 send, u3 control), 1 skipped (an SMS
      send), 1 already present (u1's send delivered twice); entries: u1, u2, u3 in c1;
    file 2: 5 records: 4 loaded (u4 send to c2 with its purchase, u2's earlier send on
      run d2, an email send to u5 of c2), 1 rejected (no user); entries: u4, u5 in c2 and
      u2 on run d2 of c1.
    """
    first = [
        _event(1, f"{PUSH}.Send", "u1", 0),
        _event(1, f"{PUSH}.Send", "u1", 0),
        _event(2, f"{PUSH}.Open", "u1", 5),
        _event(3, f"{PUSH}.Send", "u2", 1),
        _event(4, "users.campaigns.EnrollInControl", "u3", 2, message_variation_id="ctl"),
        _event(5, "users.messages.sms.Send", "u1", 3),
    ]
    second = [
        _event(6, f"{PUSH}.Send", "u4", 10, campaign_id="c2", campaign_name="Winback"),
        {
            "event_type": "users.behaviors.Purchase",
            "id": "e7",
            "time": T0 + 900,
            "user": {"user_id": "u4"},
            "properties": {"price": 19.99},
        },
        _event(8, f"{PUSH}.Send", "u2", 0, dispatch_id="d2"),
        _event(9, "users.messages.email.Send", "u5", 11, campaign_id="c2"),
        {
            "event_type": f"{PUSH}.Send",
            "id": "e10",
            "time": T0,
            "properties": {"campaign_id": "c2"},
        },
    ]
    return [
        write_export(folder / "2026" / "03" / "01" / "currents-1.json", first),
        write_export(folder / "2026" / "03" / "02" / "currents-2.json.gz", second, True),
    ]


def _lines(output: str) -> list[str]:
    """The accounting lines, without the folder part of the file names."""
    return [line.rsplit("/", 1)[-1] for line in output.splitlines() if ": read " in line]


def _fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


EVENTS = (
    "SELECT event_id, campaign_id, user_id, event_type, toString(occurred_at), run_id, "
    "variant_id FROM message_events ORDER BY event_id"
)


def test_a_vendor_export_imports_into_the_cluster_and_a_second_import_loads_nothing(
    cluster: clickhouse.ClickHouseCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _export(tmp_path / "export")
    arguments = [str(tmp_path / "export"), "--format", "braze", "--db", cluster.url]
    arguments += ["--rejects", str(tmp_path / "rejects.csv"), "--conversion-event", "purchase"]
    assert ingest_main(arguments) == 1  # one record has no user
    assert _lines(capsys.readouterr().out) == [
        f"{paths[0].name}: read 6, loaded 4, already present 1, skipped 1, rejected 0, derived 3",
        f"{paths[1].name}: read 5, loaded 4, already present 0, skipped 0, rejected 1, derived 3",
    ]
    stored = _fetch(cluster.url, EVENTS)
    assert ingest_main(arguments) == 1
    assert _lines(capsys.readouterr().out) == [
        f"{paths[0].name}: read 6, loaded 0, already present 5, skipped 1, rejected 0, derived 0",
        f"{paths[1].name}: read 5, loaded 0, already present 4, skipped 0, rejected 1, derived 0",
    ]
    assert _fetch(cluster.url, EVENTS) == stored
    entered = [(row[0], row[1], row[2], row[5]) for row in stored if row[3] == "entered"]
    assert entered == [
        ("entered:e1", "c1", "u1", "d1"),
        ("entered:e3", "c1", "u2", "d1"),
        ("entered:e4", "c1", "u3", "d1"),
        ("entered:e6", "c2", "u4", "d1"),
        ("entered:e8", "c1", "u2", "d2"),
        ("entered:e9", "c2", "u5", "d1"),
    ]
    assert _fetch(cluster.url, "SELECT count() FROM users") == [(5,)]
    assert _fetch(
        cluster.url,
        "SELECT campaign_id, name, channel, conversion_event FROM campaigns ORDER BY campaign_id",
    ) == [("c1", "Spring sale", "push", "purchase"), ("c2", "Winback", "push", "purchase")]
    assert _fetch(
        cluster.url, "SELECT variant_id, is_control FROM variants ORDER BY campaign_id, variant_id"
    ) == [("A", 0), ("ctl", 1), ("A", 0)]
    assert _fetch(cluster.url, "SELECT conversion_id, revenue FROM conversions") == [("e7", 19.99)]


def test_the_cluster_holds_what_duckdb_holds_after_the_same_import(
    cluster: clickhouse.ClickHouseCluster, tmp_path: Path
) -> None:
    _export(tmp_path / "export")
    common = [str(tmp_path / "export"), "--format", "braze", "--rejects", str(tmp_path / "r.csv")]
    duckdb_url = f"duckdb:///{tmp_path / 'same.duckdb'}"
    assert ingest_main([*common, "--db", cluster.url]) == 1
    assert ingest_main([*common, "--db", duckdb_url]) == 1
    users = "SELECT user_id, platform, device_model FROM users ORDER BY user_id"
    assert _fetch(cluster.url, users) == _fetch(duckdb_url, users)
    events = "SELECT event_id, event_type, run_id, variant_id FROM message_events ORDER BY event_id"
    assert _fetch(cluster.url, events) == _fetch(duckdb_url, events)


def test_a_truncated_gzip_leaves_nothing_in_the_cluster(
    cluster: clickhouse.ClickHouseCluster, tmp_path: Path
) -> None:
    records = [_event(n, f"{PUSH}.Send", f"u{n}", n) for n in range(2000)]
    path = write_export(tmp_path / "cut.json.gz", records, compress=True)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    assert ingest_main([str(path), "--format", "braze", "--db", cluster.url]) == 2
    for table in ("message_events", "users", "campaigns"):
        assert _fetch(cluster.url, f"SELECT count() FROM {table}") == [(0,)], table


def _pinpoint(event_type: str, user: str, at_ms: int, **attributes: Any) -> dict[str, Any]:
    """A Pinpoint record of campaign c1 (treatment 0, run r1) at a time with milliseconds."""
    return {
        "event_type": event_type,
        "event_timestamp": at_ms,
        "arrival_timestamp": at_ms + 61_234,
        "client": {"client_id": user},
        "device": {"platform": {"name": "Android"}, "model": "Pixel 8"},
        "attributes": {"campaign_id": "c1", "treatment_id": "0", "campaign_activity_id": "r1"}
        | attributes,
    }


def test_a_pinpoint_export_with_milliseconds_imports_once_into_the_cluster(
    cluster: clickhouse.ClickHouseCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ClickHouse keeps instants to the second: a re-import must still find every record.
    at = T0 * 1000 + 457
    records = [
        _pinpoint("_campaign.send", "u1", at, campaign_send_status="SUCCESS"),
        _pinpoint("_campaign.send", "u2", at + 1_500, campaign_send_status="SUCCESS"),
        _pinpoint("_campaign.send", "u2", at + 1_500, campaign_send_status="SUCCESS"),
        _pinpoint("_email.open", "u1", at + 700),
        _pinpoint("_session.start", "u1", at),
    ]
    path = write_export(tmp_path / "pinpoint" / "stream-1", records)
    arguments = [str(path), "--format", "pinpoint", "--db", cluster.url]
    arguments += ["--rejects", str(tmp_path / "rejects.csv")]
    assert ingest_main(arguments) == 0
    assert _lines(capsys.readouterr().out) == [
        "stream-1: read 5, loaded 3, already present 1, skipped 1, rejected 0, derived 2"
    ]
    assert ingest_main(arguments) == 0
    assert _lines(capsys.readouterr().out) == [
        "stream-1: read 5, loaded 0, already present 4, skipped 1, rejected 0, derived 0"
    ]
    assert _fetch(
        cluster.url,
        "SELECT event_type, count() FROM message_events GROUP BY event_type ORDER BY event_type",
    ) == [("entered", 2), ("opened", 1), ("sent", 2)]
