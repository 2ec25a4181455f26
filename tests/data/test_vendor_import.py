"""What every vendor import shares: derived entered rows, files and folders, accounting,
the command line and `python -m data.campaigns set` (../shared/vendor-imports.md)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from data.campaigns import main as campaigns_main
from data.ingest import main as ingest_main
from tests.data.vendor_support import UTC, counts, import_export, rows, write_export

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _braze(n: int, event_type: str, user: str, minutes: int, dispatch: str = "d1") -> dict:
    return {
        "event_type": f"users.messages.pushnotification.{event_type}",
        "id": f"e{n}",
        "time": int(T0.timestamp()) + 60 * minutes,
        "user": {"user_id": user},
        "properties": {"campaign_id": "c1", "message_variation_id": "A", "dispatch_id": dispatch},
    }


def _entered(engine: sa.Engine) -> list[tuple[Any, ...]]:
    return [
        (row["event_id"], row["user_id"], row["run_id"], row["occurred_at"], row["variant_id"])
        for row in rows(engine, "message_events")
        if row["event_type"] == "entered"
    ]


def test_entered_is_derived_once_per_campaign_user_and_run_at_the_earliest_send(
    engine: sa.Engine, tmp_path: Path
) -> None:
    export = [
        _braze(1, "Send", "u1", 5),  # u1, run d1: sent at 09:05 ...
        _braze(2, "Send", "u1", 0),  # ... and again at 09:00: the earliest
        _braze(3, "Open", "u1", 6),  # an open is no entry
        _braze(4, "Send", "u1", 60, dispatch="d2"),  # another run: another entry
        _braze(5, "Open", "u2", 1),  # u2 only opened: no entry
    ]
    path = write_export(tmp_path / "a.json", export)
    # Batches of 2 records: the earliest send of u1/d1 comes in the first batch, the
    # other in the next; one entry all the same.
    [first] = import_export(engine, [path], "braze", batch_records=2)
    assert counts(first) == (5, 5, 0, 0, 0, 2)
    expected = [
        ("entered:e2", "u1", "d1", T0, "A"),
        ("entered:e4", "u1", "d2", T0 + dt.timedelta(minutes=60), "A"),
    ]
    assert _entered(engine) == expected
    [again] = import_export(engine, [path], "braze")
    assert counts(again) == (5, 0, 5, 0, 0, 0)
    assert _entered(engine) == expected


def test_an_overlapping_export_with_an_earlier_send_moves_the_entry_and_adds_none(
    engine: sa.Engine, tmp_path: Path
) -> None:
    later = write_export(tmp_path / "later.json", [_braze(1, "Send", "u1", 30)])
    both = write_export(
        tmp_path / "both.json", [_braze(0, "Send", "u1", 10), _braze(1, "Send", "u1", 30)]
    )
    import_export(engine, [later], "braze")
    assert _entered(engine) == [("entered:e1", "u1", "d1", T0 + dt.timedelta(minutes=30), "A")]
    [result] = import_export(engine, [both], "braze")
    # e0 loads, e1 is already present; the entry moves to e0 (counted as derived).
    assert counts(result) == (2, 1, 1, 0, 0, 1)
    assert _entered(engine) == [("entered:e0", "u1", "d1", T0 + dt.timedelta(minutes=10), "A")]
    # A later file of the same run adds no second entry.
    [result] = import_export(engine, [later], "braze")
    assert result.derived == 0
    assert len(_entered(engine)) == 1


def test_a_gzip_file_in_a_nested_folder_imports_like_the_plain_file(
    engine: sa.Engine, tmp_path: Path
) -> None:
    export = [_braze(1, "Send", "u1", 0), _braze(2, "Open", "u1", 1), {"event_type": "x"}]
    plain = write_export(tmp_path / "plain" / "events.json", export)
    write_export(tmp_path / "s3" / "2026" / "03" / "02" / "events.json.gz", export, compress=True)
    [zipped] = import_export(engine, [tmp_path / "s3"], "braze")
    assert counts(zipped) == (3, 2, 0, 1, 0, 1)
    stored = rows(engine, "message_events")
    [again] = import_export(engine, [plain], "braze")
    assert counts(again) == (3, 0, 2, 1, 0, 0)
    assert rows(engine, "message_events") == stored


def test_a_truncated_gzip_exits_2_and_leaves_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    records = [_braze(n, "Send", f"u{n}", n) for n in range(2000)]
    path = write_export(tmp_path / "cut.json.gz", records, compress=True)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    # Batches of 100: several are written before the cut is found, and rolled back.
    [result] = import_export(engine, [path], "braze", batch_records=100)
    assert result.error is not None and "truncated" in result.error
    assert rows(engine, "message_events") == [] and rows(engine, "users") == []
    database = tmp_path / "db.duckdb"
    code = ingest_main([str(path), "--format", "braze", "--db", f"duckdb:///{database}"])
    assert code == 2
    engine = sa.create_engine(f"duckdb:///{database}")
    try:
        assert rows(engine, "message_events") == [] and rows(engine, "campaigns") == []
    finally:
        engine.dispose()


def test_a_file_that_is_not_json_is_refused_and_a_bad_line_inside_is_one_rejected_record(
    engine: sa.Engine, tmp_path: Path
) -> None:
    csv_file = tmp_path / "export.json"
    csv_file.write_text("event_type,id,time\nusers.messages.email.Send,e1,1\n")
    good = write_export(tmp_path / "good.json", [_braze(1, "Send", "u1", 0)])
    with good.open("a") as handle:
        handle.write('{"event_type": "users.messages.pushnotification.Se\n')
        handle.write("[1]\n")
    refused, accepted = import_export(engine, [csv_file, good], "braze")
    assert refused.error is not None and refused.error.startswith("not JSON: line 1")
    assert counts(accepted) == (3, 1, 0, 0, 2, 1)


def test_the_command_prints_each_files_counts_and_writes_skips_and_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = [
        _braze(1, "Send", "u1", 0),
        _braze(2, "Send", "u1", 0),
        _braze(1, "Send", "u1", 0),  # line 3: a re-delivery of line 1
        {"event_type": "users.messages.sms.Send", "id": "s1", "time": 1, "user": {}},
        {
            "event_type": "users.messages.pushnotification.Send",
            "id": "e9",
            "properties": {"campaign_id": "c1"},
        },
    ]
    path = write_export(tmp_path / "currents" / "events.jsonl", export)
    database, rejects = tmp_path / "db.duckdb", tmp_path / "rejects.csv"
    arguments = [str(tmp_path / "currents"), "--format", "braze", "--db", f"duckdb:///{database}"]
    arguments += ["--rejects", str(rejects), "--conversion-event", "purchase"]
    assert ingest_main(arguments) == 1
    output = capsys.readouterr().out
    assert (
        f"{path}: read 5, loaded 2, already present 1, skipped 1, rejected 1, derived 1" in output
    )
    with rejects.open() as handle:
        found = [(row["line"], row["outcome"], row["reason"]) for row in csv.DictReader(handle)]
    assert found == [
        ("4", "skipped", "the sms channel is not modelled"),
        ("5", "rejected", "no user.user_id"),
    ]
    engine = sa.create_engine(f"duckdb:///{database}")
    try:
        [campaign] = rows(engine, "campaigns")
    finally:
        engine.dispose()
    assert (campaign["conversion_event"], campaign["conversion_window_hours"]) == ("purchase", 72)
    # Without rejections the import exits 0.
    assert ingest_main(arguments) == 1  # the rejected line is rejected again
    clean = write_export(tmp_path / "clean.json", [_braze(3, "Send", "u2", 0)])
    assert ingest_main([str(clean), "--format", "braze", "--db", f"duckdb:///{database}"]) == 0


def test_vendor_options_are_refused_on_a_canonical_import(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        ingest_main([str(tmp_path / "users.csv"), "--source-tz", "Europe/Paris"])
    assert stopped.value.code == 2


def test_campaigns_set_changes_the_goal_the_import_left_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "db.duckdb"
    url = f"duckdb:///{database}"
    path = write_export(tmp_path / "a.json", [_braze(1, "Send", "u1", 0)])
    assert ingest_main([str(path), "--format", "braze", "--db", url]) == 0
    code = campaigns_main(
        ["set", "c1", "--name", "Spring", "--conversion-event", "purchase", "--window-hours", "24"]
        + ["--channel", "push", "--db", url]
    )
    assert code == 0
    assert campaigns_main(["set", "nope", "--name", "x", "--db", url]) == 2
    engine = sa.create_engine(url)
    try:
        [campaign] = rows(engine, "campaigns")
    finally:
        engine.dispose()
    assert (
        campaign["name"],
        campaign["conversion_event"],
        campaign["conversion_window_hours"],
    ) == (
        "Spring",
        "purchase",
        24,
    )
    # A later import of the same campaign keeps what the person set.
    more = write_export(tmp_path / "b.json", [_braze(2, "Send", "u2", -60)])
    assert ingest_main([str(more), "--format", "braze", "--db", url]) == 0
    engine = sa.create_engine(url)
    try:
        [campaign] = rows(engine, "campaigns")
    finally:
        engine.dispose()
    assert (campaign["name"], campaign["conversion_event"]) == ("Spring", "purchase")
    assert campaign["started_at"] == T0 - dt.timedelta(hours=1)
    assert "unknown campaign 'nope'" in capsys.readouterr().err
