"""The report on a two-shard ClickHouse cluster against DuckDB, on the same events.

    .venv/bin/python -m benchmarks.clickhouse_bench [--duckdb PATH] [--events N]
        [--campaign ID] [--json OUT] [--clickhouse-only] [--warm-runs N]

Takes a DuckDB demo file (built with `data.demo --events N` when PATH does not exist; the
10M demo by default), starts two ClickHouse servers on loopback as the two shards of one
cluster (`tests.support.clickhouse`), creates the tables (`data.schema --cluster`) and
copies every table into them through the Distributed tables. The loaded servers' data is
kept under /tmp keyed by the DuckDB file (`loaded_cluster`), so the next run only starts
them (about 10 s instead of 60-90 s of copying). Then, as whole processes (start-up
included, as `benchmarks.report_bench` measures):

- the floor on each backend: per event type, the campaign's events and exact distinct
  users (`count(DISTINCT user_id)` on DuckDB, `uniqExact(user_id)` on ClickHouse);
- `python -m metrics.report CAMPAIGN` on each: cold (the first run after the servers
  started) and warm (median of the next three).

`make bench` (`benchmarks.run`) runs it with `--clickhouse-only` on its 10M DuckDB file,
whose DuckDB figures it measures itself. Both shards share this machine (2 cores here),
so the cluster's figures show what the app costs on ClickHouse, not the speed-up of
shards on machines of their own. Prints the figures as JSON; `--json OUT` writes them
too. It is not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import sqlalchemy as sa

from benchmarks.processes import median, python_command, run_process, scratch_directory
from data.database import create_writer_engine
from data.ingest.clickhouse_bulk import clickhouse_insert
from data.schema import TABLES
from tests.support import clickhouse

DEFAULT_DUCKDB = Path("/tmp/campaign-bench-10m.duckdb")
DEFAULT_EVENTS = 10_000_000
COPY_CHUNK = 1_000_000

_DUCKDB_FLOOR = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute(
    "SELECT event_type, count(*), count(DISTINCT user_id) FROM message_events "
    "WHERE campaign_id = ? GROUP BY event_type", [sys.argv[2]]
).fetchall()
"""

_CLICKHOUSE_FLOOR = """
import sys, sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
with engine.connect() as connection:
    connection.execute(sa.text(
        "SELECT event_type, count(), uniqExact(user_id) FROM message_events "
        "WHERE campaign_id = :c GROUP BY event_type"), {"c": sys.argv[2]}).fetchall()
"""


def _duckdb_file(path: Path, events: int) -> Path:
    if not path.exists():
        run_process(
            python_command("-m", "data.demo", "--db", f"duckdb:///{path}", "--events", str(events))
        )
    return path


def _copy(source: Path, url: str) -> dict[str, float]:
    """Every table of the DuckDB file into the cluster; seconds per table."""
    seconds: dict[str, float] = {}
    reader = duckdb.connect(str(source), read_only=True)
    engine = create_writer_engine(url)
    try:
        with engine.connect() as connection:
            for name in TABLES:
                started = time.perf_counter()
                batches = reader.sql(f"SELECT * FROM {name}").to_arrow_reader(COPY_CHUNK)
                for batch in batches:
                    frame = pl.from_arrow(batch)
                    assert isinstance(frame, pl.DataFrame)  # a record batch: never one column
                    clickhouse_insert(connection, name, frame)
                seconds[name] = round(time.perf_counter() - started, 1)
    finally:
        engine.dispose()
        reader.close()
    return seconds


def cache_directory(source: Path) -> Path:
    """Where the cluster loaded from `source` is kept: keyed by the file's path, size and
    modification time, so a rebuilt DuckDB file is copied in again."""
    stat = source.stat()
    identity = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return scratch_directory() / f"clickhouse-{source.stem}-{key}"


def loaded_cluster(source: Path) -> tuple[clickhouse.ClickHouseCluster, dict[str, Any]]:
    """A running two-shard cluster holding every table of `source`, and how it got there.

    Copying the 10M demo in takes 62-90 s here (`copy_into_cluster_s`), more than a
    quarter of `make bench`'s five minutes, so the servers' data directories are kept
    under /tmp (`cache_directory`) and the next run restarts the servers on them.
    """
    root = cache_directory(source)
    marker = root / "loaded.json"
    if marker.exists():
        cluster = clickhouse.start_cluster(root)
        return cluster, {"reused_cached_cluster": str(root), **json.loads(marker.read_text())}
    for stale in scratch_directory().glob(f"clickhouse-{source.stem}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    cluster = clickhouse.start_cluster(root)
    try:
        clickhouse.create_cluster_schema(cluster)
        loaded = {"copy_into_cluster_s": _copy(source, cluster.url)}
    except BaseException:
        cluster.stop()
        raise
    marker.write_text(json.dumps(loaded) + "\n")
    return cluster, loaded


def _report_runs(url: str, campaign: str, warm_runs: int) -> dict[str, float]:
    """The report as whole processes: cold (the first run after the servers started, or
    on DuckDB the first of this benchmark) and warm (median of the next `warm_runs`)."""
    command = python_command("-m", "metrics.report", campaign, "--db", url)
    cold = run_process(command)
    warm = [run_process(command) for _ in range(warm_runs)]
    return {
        "report_cold_s": round(cold.seconds, 3),
        "report_warm_s": round(median([run.seconds for run in warm]), 3),
        "report_peak_rss_mb": round(max(run.peak_rss_mb for run in [cold, *warm]), 1),
    }


def _floor(command: list[str]) -> float:
    return round(median([run_process(command).seconds for _ in range(3)]), 3)


def _counts(url: str, campaign: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            table = connection.execute(sa.text("SELECT count() FROM message_events")).scalar()
            scoped = connection.execute(
                sa.text("SELECT count() FROM message_events WHERE campaign_id = :c"),
                {"c": campaign},
            ).scalar()
    finally:
        engine.dispose()
    return {"events_in_table": int(table or 0), "events_in_campaign": int(scoped or 0)}


def measure(
    source: Path, campaign: str, *, with_duckdb: bool = True, warm_runs: int = 3
) -> dict[str, Any]:
    """Load `source` into the two-shard cluster (or reuse it) and measure the cluster and,
    with `with_duckdb`, DuckDB on the same file. `make bench` measures DuckDB's 10M
    figures itself and asks for the cluster's only."""
    cluster, loaded = loaded_cluster(source)
    try:
        run: dict[str, Any] = {
            "backend": "clickhouse 2 shards",
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "load_average_at_start": round(os.getloadavg()[0], 2),
            **_counts(cluster.url, campaign),
        }
        run["floor_s"] = _floor(python_command("-c", _CLICKHOUSE_FLOOR, cluster.url, campaign))
        run |= _report_runs(cluster.url, campaign, warm_runs)
        run["report_over_floor"] = round(run["report_warm_s"] / run["floor_s"], 2)
        result: dict[str, Any] = {"campaign": campaign, **loaded, "clickhouse_two_shards": run}
    finally:
        cluster.stop(keep_data=True)
    if with_duckdb:
        duckdb_url = f"duckdb:///{source}"
        result["duckdb"] = {
            "floor_s": _floor(python_command("-c", _DUCKDB_FLOOR, str(source), campaign)),
            **_report_runs(duckdb_url, campaign, warm_runs),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb", type=Path, default=DEFAULT_DUCKDB)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--campaign", default="push_black_friday")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--clickhouse-only", action="store_true", help="no DuckDB figures (make bench has them)"
    )
    parser.add_argument("--warm-runs", type=int, default=3, help="warm report runs (median)")
    args = parser.parse_args(argv)
    figures = measure(
        _duckdb_file(args.duckdb, args.events),
        args.campaign,
        with_duckdb=not args.clickhouse_only,
        warm_runs=args.warm_runs,
    )
    figures["clickhouse_two_shards"]["demo_events"] = args.events
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
