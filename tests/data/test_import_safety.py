"""Nothing is lost on import: a killed import leaves none of its file, and two imports at
once both finish (or the second waits, or refuses clearly). Real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from data.database import create_writer_engine
from data.schema import create_schema
from tests.support.postgres import PostgresCluster

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ROWS = 200_000

STALL_BEFORE_COMMIT = """
import sys, time
from data.ingest import load as ingest_load

insert_new_keys = ingest_load._insert_new_keys


def insert_then_stall(connection, target, stage):
    inserted = insert_new_keys(connection, target, stage)
    print(f"inserted {inserted}", flush=True)
    time.sleep(600)
    return inserted


ingest_load._insert_new_keys = insert_then_stall
from data.ingest import main

sys.exit(main(sys.argv[1:]))
"""
"""The importer, stopped after every row of the file is inserted and before the commit:
the worst moment for a SIGKILL (nothing else about it is changed)."""

LOCK_HOLDER = (
    "import sys, duckdb\n"
    "connection = duckdb.connect(sys.argv[1])\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


def _events_csv(directory: Path, first: int, last: int) -> Path:
    """message_events.csv with event ids e<first>..e<last - 1>, all valid."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "message_events.csv"
    pl.select(i=pl.int_range(first, last)).select(
        event_id=pl.format("e{}", pl.col("i")),
        campaign_id=pl.lit("c1"),
        user_id=pl.format("u{}", pl.col("i") % 5000),
        event_type=pl.lit("sent"),
        occurred_at=pl.lit("2026-11-05T10:00:00Z"),
    ).write_csv(path)
    return path


def _importer(*arguments: str, code: str | None = None) -> subprocess.Popen[str]:
    program = ["-c", code] if code else ["-m", "data.ingest"]
    return subprocess.Popen(
        [sys.executable, *program, *arguments],
        cwd=ROOT,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(sa.text("SELECT count(*) FROM message_events")).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database with the schema: a DuckDB file, or a database of the test cluster."""
    if backend == "duckdb":
        url = f"duckdb:///{tmp_path / 'import.duckdb'}"
        engine = create_writer_engine(url)
        create_schema(engine)
        engine.dispose()
        yield url
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"import_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = cluster.url.rsplit("/", 1)[0] + f"/{name}"
    engine = sa.create_engine(url)
    create_schema(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_an_import_killed_before_its_commit_leaves_no_row_and_the_rerun_loads_all(
    database_url: str, tmp_path: Path
) -> None:
    path = _events_csv(tmp_path / "export", 0, ROWS)
    victim = _importer(str(path), "--db", database_url, code=STALL_BEFORE_COMMIT)
    try:
        assert victim.stdout is not None
        line = victim.stdout.readline()
        assert line == f"inserted {ROWS}\n", victim.stderr.read() if victim.stderr else line
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.communicate()

    assert _count(database_url) == 0
    rerun = _importer(str(path), "--db", database_url)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert f"read {ROWS}, loaded {ROWS}, already present 0, rejected 0" in out
    assert _count(database_url) == ROWS


def test_two_imports_started_at_once_both_finish_and_store_each_row_once(
    database_url: str, tmp_path: Path
) -> None:
    # two exports overlapping by 50,000 events: together 250,000 distinct events
    first = _events_csv(tmp_path / "monday", 0, 150_000)
    second = _events_csv(tmp_path / "tuesday", 100_000, 250_000)
    runs = [_importer(str(path), "--db", database_url) for path in (first, second)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    summaries = " | ".join(out.strip() for out, _ in outputs)
    loaded = [int(part.split("loaded ")[1].split(",")[0]) for part in summaries.split(" | ")]
    present = [
        int(part.split("already present ")[1].split(",")[0]) for part in summaries.split(" | ")
    ]
    assert sum(loaded) == 250_000, summaries
    assert sorted(present) == [0, 50_000], summaries
    assert _count(database_url) == 250_000


@pytest.mark.parametrize("backend", ["duckdb"])
def test_an_import_refuses_clearly_when_another_process_keeps_the_duckdb_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _events_csv(tmp_path / "export", 0, 10)
    database = database_url.removeprefix("duckdb:///")
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        monkeypatch.setenv("CAMPAIGN_IMPORT_WAIT_SECONDS", "1")
        refused = _importer(str(path), "--db", database_url)
        out, err = refused.communicate(timeout=120)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert refused.returncode == 2
    assert out == ""
    assert err.splitlines() == [
        f"{database} is in use by process {holder.pid} (DuckDB allows one writer): "
        "waiting up to 1 s for it to finish...",
        f"not imported: process {holder.pid} (another import, or the demo generator) is "
        f"writing to {database} and did not finish within 1 s; nothing was imported: run the "
        "import again when it has finished",
    ]
    assert _count(database_url) == 0
