"""The importer loads every good row, rejects every bad one with its line and reason, and
changes nothing when the same data comes again (../shared/event-schema.md, "Bad input")."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from data.contracts import CONTRACTS, Kind
from data.ingest import FileResult, import_files, main
from data.ingest import load as ingest_load
from data.schema import TABLES

UTC = dt.UTC
MESSAGE_HEADER = "event_id,campaign_id,user_id,event_type,occurred_at"


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _import_one(engine: sa.Engine, path: Path, ignore_unknown: bool = False) -> FileResult:
    [result] = import_files(engine, [path], ignore_unknown_columns=ignore_unknown)
    if result.error is None:
        assert result.read == result.loaded + result.already_present + result.rejected
    return result


def _rejects(result: FileResult) -> dict[int, str]:
    return dict(
        zip(result.rejects["line"].to_list(), result.rejects["reason"].to_list(), strict=True)
    )


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Drivers return aware or naive UTC; compare instants."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _table(engine: sa.Engine, name: str) -> list[tuple[object, ...]]:
    table = TABLES[name]
    key = [table.c[column] for column in CONTRACTS[name].key]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(table).order_by(*key)).all()
    return [
        tuple(_utc(value) if isinstance(value, dt.datetime) else value for value in row)
        for row in rows
    ]


def test_contracts_follow_the_tables_column_for_column() -> None:
    for name, table in TABLES.items():
        contract = CONTRACTS[name]
        assert contract.names == tuple(table.columns.keys())
        assert contract.key == tuple(column.name for column in table.primary_key.columns)
    # The schema's defaults and vocabularies, as the event schema states them.
    assert CONTRACTS["campaigns"].column("conversion_window_hours").default == 72
    assert CONTRACTS["message_events"].column("is_machine").default is False
    assert CONTRACTS["message_events"].column("occurred_at").kind == Kind.TIMESTAMP
    assert CONTRACTS["message_events"].column("bounce_type").rule.allowed == ("hard", "soft")
    assert CONTRACTS["sessions"].column("duration_seconds").kind == Kind.DOUBLE
    assert CONTRACTS["message_events"].required_names == (
        "event_id",
        "campaign_id",
        "user_id",
        "event_type",
        "occurred_at",
    )


def test_bad_message_event_rows_are_rejected_with_line_and_reason_and_good_ones_load(
    engine: sa.Engine, tmp_path: Path
) -> None:
    # Line 1 is the header; e2's link spans lines 3-4, so e3 is on line 5.
    path = _write(
        tmp_path,
        "message_events.csv",
        MESSAGE_HEADER + ",bounce_type,is_machine,link_url\n"
        "e1,c1,u1,sent,2026-03-01T09:30:00Z,,,\n"
        'e2,c1,u1,clicked,2026-03-01T09:31:00Z,,TRUE,"https://a.example/\nsecond-line"\n'
        "e3,c1,,sent,2026-03-01T09:32:00Z,,,\n"
        "e4,c1,u2,sent,yesterday,,,\n"
        "e5,c1,u2,opend,2026-03-01T09:33:00Z,,,\n"
        "e6,c1,u2,bounced,2026-03-01T09:34:00Z,permanent,,\n"
        "e7,c1,u2,opened,2026-03-01T09:35:00Z,,maybe,\n"
        "e8,c1,u3,bounced,2026-03-01T09:36:00Z,soft,0,\n"
        ",c1,u3,sent,2026-03-01T09:37:00Z,,,\n",
    )
    result = _import_one(engine, path)
    # 9 data rows: e1, e2, e8 are good; 6 are bad.
    assert (result.read, result.loaded, result.already_present, result.rejected) == (9, 3, 0, 6)
    assert _rejects(result) == {
        5: "user_id is missing",
        6: "occurred_at is not an ISO 8601 timestamp: yesterday",
        7: "event_type is not one of entered, control, sent, delivered, received, bounced, "
        "failed, impression, opened, clicked, dismissed, unsubscribed, complained: opend",
        8: "bounce_type is not one of hard, soft: permanent",
        9: "is_machine is not a boolean (true/false/1/0): maybe",
        11: "event_id is missing",
    }
    stored = _table(engine, "message_events")
    assert [row[0] for row in stored] == ["e1", "e2", "e8"]
    by_id = {row[0]: row for row in stored}
    assert by_id["e2"][12] == "https://a.example/\nsecond-line"  # link_url, kept whole
    assert by_id["e2"][13] is True and by_id["e1"][13] is False  # is_machine default false
    assert by_id["e8"][10] == "soft"
    # The rejected row's own cells travel with it, to be fixed and sent again.
    assert json.loads(result.rejects["row"][1])["occurred_at"] == "yesterday"


def test_a_row_with_several_problems_lists_every_reason(engine: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, "message_events.csv", MESSAGE_HEADER + "\ne1,c1,,sending,soon\n")
    result = _import_one(engine, path)
    assert result.rejected == 1
    reason = _rejects(result)[2]
    assert "user_id is missing" in reason
    assert "event_type is not one of" in reason and ": sending" in reason
    assert "occurred_at is not an ISO 8601 timestamp: soon" in reason


def test_numbers_booleans_and_ranges_are_checked_in_every_table(
    engine: sa.Engine, tmp_path: Path
) -> None:
    sessions = _write(
        tmp_path,
        "sessions.csv",
        "session_id,user_id,started_at,duration_seconds\n"
        "s1,u1,2026-03-01T10:00:00Z,19.99\n"
        "s2,u1,2026-03-01T11:00:00Z,-5\n"
        "s3,u1,2026-03-01T12:00:00Z,ten\n"
        "s4,u1,2026-03-01T13:00:00Z,0\n",
    )
    variants = _write(
        tmp_path,
        "variants.csv",
        "campaign_id,variant_id,name,is_control,allocation\n"
        "c1,A,Variant A,false,0.45\n"
        "c1,B,Variant B,no,0.45\n"
        "c1,control,Control,1,1.5\n"
        "c1,D,Variant D,False,\n",
    )
    actions = _write(
        tmp_path,
        "actions.csv",
        "campaign_id,action_id,name,channel,position\n"
        "c1,a1,Teaser,push,1\n"
        "c1,a2,Reminder,push,2.5\n"
        "c1,a3,Card,web,3\n"
        "c1,a4,Zero,push,0\n",
    )
    results = import_files(engine, [sessions, variants, actions])
    assert [(r.loaded, r.rejected) for r in results] == [(2, 2), (2, 2), (1, 3)]
    assert _rejects(results[0]) == {
        3: "duration_seconds is negative: -5",
        4: "duration_seconds is not a finite number: ten",
    }
    assert _rejects(results[1]) == {
        3: "is_control is not a boolean (true/false/1/0): no",
        4: "allocation is above 1: 1.5",
    }
    assert _rejects(results[2]) == {
        3: "position is not a whole number (32-bit): 2.5",
        4: "channel is not one of push, in_app, email, sms: web",
        5: "position is below 1: 0",
    }
    assert [row[3] for row in _table(engine, "sessions")] == [19.99, 0.0]  # doubles exact
    assert _table(engine, "variants") == [
        ("c1", "A", "Variant A", False, 0.45),
        ("c1", "D", "Variant D", False, None),
    ]


def test_a_column_with_a_default_takes_it_when_empty_or_absent(
    engine: sa.Engine, tmp_path: Path
) -> None:
    with_column = _write(
        tmp_path,
        "campaigns.csv",
        "campaign_id,name,channel,started_at,conversion_window_hours\n"
        "c1,Spring,push,2026-03-01T00:00:00Z,\n"
        "c2,Summer,email,2026-06-01T00:00:00Z,48\n",
    )
    _import_one(engine, with_column)
    without_column = _write(tmp_path / "users", "users.csv", "user_id,platform\nu1,ios\nu2,\n")
    _import_one(engine, without_column)
    assert [(row[0], row[6]) for row in _table(engine, "campaigns")] == [("c1", 72), ("c2", 48)]
    assert _table(engine, "users") == [("u1", "ios", None, False), ("u2", None, None, False)]


def test_a_key_repeated_with_different_values_rejects_every_copy_and_exact_copies_count_once(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "message_events.csv",
        MESSAGE_HEADER + "\n"
        "e1,c1,u1,sent,2026-03-01T09:30:00Z\n"  # line 2
        "e2,c1,u1,sent,2026-03-01T09:30:00Z\n"  # line 3
        "e1,c1,u1,sent,2026-03-01T09:30:00Z\n"  # line 4: exact copy of line 2
        "e2,c1,u1,opened,2026-03-01T09:30:00Z\n"  # line 5: e2 with another event_type
        "e3,c1,u1,sent,2026-03-01T09:30:00Z\n",  # line 6
    )
    result = _import_one(engine, path)
    # e1 loads once (line 4 already present), both e2 rows are rejected, e3 loads.
    assert (result.read, result.loaded, result.already_present, result.rejected) == (5, 2, 1, 2)
    reason = "event_id=e2 is repeated in this file with different values (lines 3, 5)"
    assert _rejects(result) == {3: reason, 5: reason}
    assert [row[0] for row in _table(engine, "message_events")] == ["e1", "e3"]


def test_a_two_column_key_is_repeated_only_when_both_columns_match(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "variants.csv",
        "campaign_id,variant_id,name,is_control\n"
        "c1,A,Variant A,false\n"  # line 2
        "c2,A,Variant A,false\n"  # line 3: another campaign's A, not a repeat
        "c1,A,Variant A,0\n"  # line 4: the same values as line 2 (0 = false)
        "c1,B,Variant B,false\n"  # line 5
        "c1,B,Variant B,true\n",  # line 6: c1/B again with another is_control
    )
    result = _import_one(engine, path)
    assert (result.loaded, result.already_present, result.rejected) == (2, 1, 2)
    reason = "campaign_id=c1, variant_id=B is repeated in this file with different values"
    assert _rejects(result) == {5: reason + " (lines 5, 6)", 6: reason + " (lines 5, 6)"}
    assert [row[:2] for row in _table(engine, "variants")] == [("c1", "A"), ("c2", "A")]


def test_a_malformed_copy_of_a_key_is_rejected_alone(engine: sa.Engine, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "message_events.csv",
        MESSAGE_HEADER + "\ne1,c1,u1,sent,2026-03-01T09:30:00Z\ne1,c1,u1,sent,later\n",
    )
    result = _import_one(engine, path)
    # Line 3 fails on its own timestamp; it does not make line 2 a repeated-key conflict.
    assert (result.loaded, result.rejected) == (1, 1)
    assert _rejects(result) == {3: "occurred_at is not an ISO 8601 timestamp: later"}


def test_reimporting_the_same_files_is_a_no_op(engine: sa.Engine, tmp_path: Path) -> None:
    events = _write(
        tmp_path,
        "message_events.csv",
        MESSAGE_HEADER + ",is_machine,link_url\n"
        "e1,c1,u1,sent,2026-03-01T09:30:00Z,,\n"
        "e2,c1,u1,clicked,2026-03-01T09:31:00+01:00,true,https://a.example/\n"
        "e3,c1,u2,sent,bad,,\n",
    )
    conversions = _write(
        tmp_path,
        "conversions.csv",
        "conversion_id,user_id,event_name,occurred_at,revenue\n"
        "v1,u1,purchase,2026-03-01T10:00:00Z,19.99\n"
        "v2,u2,purchase,2026-03-01T11:00:00Z,\n",
    )
    first = import_files(engine, [events, conversions])
    assert [(r.loaded, r.already_present, r.rejected) for r in first] == [(2, 0, 1), (2, 0, 0)]
    before = (_table(engine, "message_events"), _table(engine, "conversions"))
    again = import_files(engine, [events, conversions])
    # Every good row is already present (NULL revenue equals NULL); the bad row stays rejected.
    assert [(r.loaded, r.already_present, r.rejected) for r in again] == [(0, 2, 1), (0, 2, 0)]
    assert (_table(engine, "message_events"), _table(engine, "conversions")) == before


def test_a_changed_row_with_a_stored_key_is_a_conflict_and_the_stored_row_stays(
    engine: sa.Engine, tmp_path: Path
) -> None:
    first = _write(
        tmp_path,
        "sessions.csv",
        "session_id,user_id,started_at,duration_seconds\n"
        "s1,u1,2026-03-01T10:00:00Z,30\ns2,u1,2026-03-01T11:00:00Z,40\n",
    )
    _import_one(engine, first)
    changed = _write(
        tmp_path / "changed",
        "sessions.csv",
        "session_id,user_id,started_at,duration_seconds\n"
        "s1,u1,2026-03-01T10:00:00Z,31\n"  # line 2: duration changed
        "s2,u1,2026-03-01T11:00:00Z,40\n"  # line 3: identical
        "s3,u1,2026-03-01T12:00:00Z,50\n",  # line 4: new
    )
    result = _import_one(engine, changed)
    assert (result.loaded, result.already_present, result.rejected) == (1, 1, 1)
    assert _rejects(result) == {2: "the key is already in sessions with different values"}
    assert [(row[0], row[3]) for row in _table(engine, "sessions")] == [
        ("s1", 30.0),
        ("s2", 40.0),
        ("s3", 50.0),
    ]


def test_naive_z_and_offset_timestamps_land_as_the_same_utc_instant(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "message_events.csv",
        MESSAGE_HEADER + "\n"
        "e1,c1,u1,sent,2026-03-01T04:00:00\n"
        "e2,c1,u1,sent,2026-03-01T04:00:00Z\n"
        "e3,c1,u1,sent,2026-03-01T09:30:00+05:30\n"
        # The same event in two notations of one instant is one event, already present.
        "e3,c1,u1,sent,2026-03-01 04:00:00.000000Z\n",
    )
    result = _import_one(engine, path)
    assert (result.loaded, result.already_present, result.rejected) == (3, 1, 0)
    instants = {row[4] for row in _table(engine, "message_events")}
    assert instants == {dt.datetime(2026, 3, 1, 4, 0, tzinfo=UTC)}


def test_csv_parquet_and_jsonl_of_the_same_rows_store_the_same_values(
    engine: sa.Engine, tmp_path: Path
) -> None:
    rows = {
        "user_id": ["u1", "u2", "u3"],
        "platform": ["ios", None, "web"],
        "device_model": [None, "Pixel 8", None],
        "is_test": ["true", None, "0"],
    }
    csv_dir, parquet_dir, jsonl_dir = (tmp_path / name for name in ("csv", "parquet", "jsonl"))
    for directory in (csv_dir, parquet_dir, jsonl_dir):
        directory.mkdir()
    frame = pl.DataFrame(rows)
    frame.write_csv(csv_dir / "users.csv")
    # Parquet with a real boolean column; JSON Lines with real booleans too.
    typed = frame.with_columns(
        pl.col("is_test").replace_strict({"true": True, "0": False}, default=None)
    )
    typed.write_parquet(parquet_dir / "users.parquet")
    typed.write_ndjson(jsonl_dir / "users.jsonl")
    expected = [
        ("u1", "ios", None, True),
        ("u2", None, "Pixel 8", False),
        ("u3", "web", None, False),
    ]
    for path in (csv_dir / "users.csv", parquet_dir / "users.parquet", jsonl_dir / "users.jsonl"):
        result = _import_one(engine, path)
        assert result.error is None, path
        assert _table(engine, "users") == expected, path
    # The first file loaded them; the Parquet and JSON Lines copies were already present.
    assert result.already_present == 3


def test_parquet_with_typed_columns_loads_and_numbers_rows_from_one(
    engine: sa.Engine, tmp_path: Path
) -> None:
    frame = pl.DataFrame(
        {
            "event_id": ["e1", "e2", "e3"],
            "campaign_id": ["c1", "c1", "c1"],
            "user_id": ["u1", "u2", "u3"],
            "event_type": ["sent", "sent", "sending"],
            # Naive Parquet timestamps are taken as UTC.
            "occurred_at": [dt.datetime(2026, 3, 1, 4, 0)] * 3,
            "is_machine": [False, True, False],
        }
    )
    path = tmp_path / "message_events.parquet"
    frame.write_parquet(path)
    zoned = tmp_path / "zoned"
    zoned.mkdir()
    frame.with_columns(
        pl.col("occurred_at").dt.replace_time_zone("Asia/Kolkata"),
        pl.lit("e9").alias("event_id"),
    ).head(1).write_parquet(zoned / "message_events.parquet")
    result = _import_one(engine, path)
    assert (result.loaded, result.rejected) == (2, 1)
    assert list(_rejects(result)) == [3]  # the third row
    _import_one(engine, zoned / "message_events.parquet")
    stored = {row[0]: (row[4], row[13]) for row in _table(engine, "message_events")}
    assert stored == {
        "e1": (dt.datetime(2026, 3, 1, 4, 0, tzinfo=UTC), False),
        "e2": (dt.datetime(2026, 3, 1, 4, 0, tzinfo=UTC), True),
        "e9": (dt.datetime(2026, 2, 28, 22, 30, tzinfo=UTC), False),  # 04:00 IST = 22:30 UTC
    }


def test_jsonl_rows_are_numbered_by_their_line_blank_lines_included(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "conversions.jsonl",
        '{"conversion_id": "v1", "user_id": "u1", "event_name": "purchase",'
        ' "occurred_at": "2026-03-01T10:00:00Z", "revenue": 19.99}\n'
        "\n"
        '{"conversion_id": "v2", "user_id": "u1", "event_name": "purchase",'
        ' "occurred_at": "2026-03-01T10:00:00Z", "revenue": "lots"}\n'
        '{"conversion_id": "v3", "user_id": 42, "event_name": "purchase",'
        ' "occurred_at": "2026-03-01T10:00:00Z"}\n',
    )
    result = _import_one(engine, path)
    assert (result.read, result.loaded, result.rejected) == (3, 2, 1)
    assert _rejects(result) == {3: "revenue is not a finite number: lots"}
    assert _table(engine, "conversions")[1][:2] == ("v3", "42")  # a JSON number as an id


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("message_events.csv", MESSAGE_HEADER + ",evnt_type\n", "unknown column(s) 'evnt_type'"),
        (
            "message_events.csv",
            "event_id,campaign_id,user_id,event_type\n",
            "column(s) 'occurred_at' missing",
        ),
        ("message_event.csv", MESSAGE_HEADER + "\n", "no table is called 'message_event'"),
        ("message_events.txt", MESSAGE_HEADER + "\n", "unsupported file type '.txt'"),
        ("message_events.csv", "", "the file is empty"),
        ("message_events.csv", MESSAGE_HEADER + ",user_id\n", "column(s) 'user_id' appear more"),
        (
            "message_events.csv",
            MESSAGE_HEADER + "\ne1,c1,u1,sent,2026-03-01T09:30:00Z\ne2,c1,u1,se",
            "looks truncated",
        ),
        (
            "message_events.csv",
            MESSAGE_HEADER + '\ne1,c1,u1,sent,2026-03-01T09:30:00Z\ne2,c1,"u1',
            "not a readable CSV file",
        ),
        (
            "message_events.jsonl",
            '{"event_id": "e1", "campaign_id": "c1", "user_id": "u1", "event_type": "sent",'
            ' "occurred_at": "2026-03-01T09:30:00Z"}\n{"event_id": "e2", "campa',
            "line 2 is not valid JSON",
        ),
    ],
)
def test_a_file_that_cannot_be_trusted_is_refused_whole(
    engine: sa.Engine, tmp_path: Path, name: str, content: str, message: str
) -> None:
    result = _import_one(engine, _write(tmp_path, name, content))
    assert result.error is not None and message in result.error
    assert result.loaded == 0
    assert _table(engine, "message_events") == []


def test_a_truncated_parquet_file_is_refused_and_nothing_loads(
    engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "users.parquet"
    pl.DataFrame({"user_id": [f"u{i}" for i in range(1000)]}).write_parquet(path)
    path.write_bytes(path.read_bytes()[:-100])
    result = _import_one(engine, path)
    assert result.error is not None and "not a readable Parquet file" in result.error
    assert _table(engine, "users") == []


def test_unknown_columns_are_skipped_only_when_asked(engine: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, "users.csv", "user_id,platform,favourite_colour\nu1,ios,blue\n")
    refused = _import_one(engine, path)
    assert refused.error is not None and "favourite_colour" in refused.error
    loaded = _import_one(engine, path, ignore_unknown=True)
    assert (loaded.loaded, loaded.ignored_columns) == (1, ("favourite_colour",))
    assert _table(engine, "users") == [("u1", "ios", None, False)]


def test_a_failure_half_way_leaves_nothing_from_the_file(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_new_keys = ingest_load._insert_new_keys

    def insert_then_fail(connection: sa.Connection, target: sa.Table, stage: sa.Table) -> int:
        insert_new_keys(connection, target, stage)
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(ingest_load, "_insert_new_keys", insert_then_fail)
    path = _write(tmp_path, "users.csv", "user_id\nu1\nu2\n")
    result = _import_one(engine, path)
    assert result.error is not None and "nothing was loaded" in result.error
    assert _table(engine, "users") == []


def test_the_command_exits_0_1_or_2_and_writes_the_rejects_next_to_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"duckdb:///{tmp_path / 'campaigns.duckdb'}"
    good = _write(tmp_path, "users.csv", "user_id,is_test\nu1,false\n")
    assert main([str(good), "--db", database]) == 0
    assert not (tmp_path / "rejects.csv").exists()  # no rejects, no file
    assert "read 1, loaded 1, already present 0, rejected 0" in capsys.readouterr().out

    mixed_dir = tmp_path / "mixed"
    mixed_dir.mkdir()
    mixed = _write(mixed_dir, "users.csv", "user_id,is_test\nu2,false\nu3,perhaps\n")
    assert main([str(mixed), "--db", database]) == 1
    output = capsys.readouterr().out
    assert "read 2, loaded 1, already present 0, rejected 1" in output
    assert str(tmp_path / "rejects.csv") in output
    rejects = pl.read_csv(tmp_path / "rejects.csv")
    assert rejects.select("file", "line", "reason").rows() == [
        (str(mixed), 3, "is_test is not a boolean (true/false/1/0): perhaps")
    ]

    broken = _write(mixed_dir, "sessions.csv", "session_id,user_id\n")
    chosen = tmp_path / "out" / "my-rejects.csv"
    assert main([str(good), str(broken), "--db", database, "--rejects", str(chosen)]) == 2
    captured = capsys.readouterr()
    assert "required column(s) 'started_at', 'duration_seconds' missing" in captured.err
    assert "read 1, loaded 0, already present 1, rejected 0" in captured.out
    assert pl.read_csv(chosen).height == 0  # asked for: written, empty
