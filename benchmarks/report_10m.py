"""How long the JSON report takes on a 10-million-event demo database (DuckDB).

    python -m benchmarks.report_10m [--db PATH] [--events N] [--campaign ID] [--repeat K]

Builds the demo database with `data.demo` unless the file exists already (default
`/tmp/bench-10m.duckdb`, reused between runs), then times `python -m metrics.report
CAMPAIGN --db ...` as a fresh process: once cold (first run after opening the file) and
`--repeat` times more (page cache warm). Then times each pushed-down query in-process, one
pass each on a fresh connection, to show where the time goes. Prints figures; it is not a
test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from data import breakdown_queries, event_queries
from data.database import PROJECT_ROOT, create_reader_engine
from metrics.conversions import conversion_report
from metrics.report import build_report, campaign_info, default_scope
from metrics.sessions import sessions_report


def _build(path: Path, events: int) -> None:
    from data.demo import main as demo_main

    started = time.perf_counter()
    status = demo_main(["--db", f"duckdb:///{path}", "--events", str(events)])
    if status != 0:
        raise SystemExit(status)
    print(f"built {path} with {events:,} events in {time.perf_counter() - started:.1f} s")


def _time_cli(url: str, campaign: str) -> tuple[float, dict[str, Any]]:
    command = [sys.executable, "-m", "metrics.report", campaign, "--db", url]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, env=os.environ
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"report failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, json.loads(done.stdout)


def _time_parts(url: str, campaign: str) -> list[tuple[str, float]]:
    engine = create_reader_engine(url)
    timings: list[tuple[str, float]] = []
    try:
        with engine.connect() as connection:
            scope = default_scope(connection, campaign)
            info = campaign_info(connection, campaign)
            parts: list[tuple[str, Callable[[], object]]] = [
                ("has_delivered", lambda: event_queries.campaign_has_delivered(connection, scope)),
                ("event_totals", lambda: event_queries.event_totals(connection, scope)),
                ("error_codes", lambda: event_queries.error_codes(connection, scope)),
                ("bucket_counts", lambda: event_queries.bucket_counts(connection, scope, "day")),
                (
                    "first_impression_buckets",
                    lambda: event_queries.first_impression_buckets(connection, scope, "day"),
                ),
                ("variant_counts", lambda: breakdown_queries.variant_counts(connection, scope)),
                ("action_clicks", lambda: breakdown_queries.action_clicks(connection, scope)),
                ("run_counts", lambda: breakdown_queries.run_counts(connection, scope)),
                ("link_counts", lambda: breakdown_queries.link_counts(connection, scope)),
                (
                    "platform_device_counts",
                    lambda: breakdown_queries.platform_device_counts(connection, scope),
                ),
                ("open_hours", lambda: breakdown_queries.open_hours(connection, scope)),
                ("conversions (other module)", lambda: conversion_report(connection, scope, info)),
                ("sessions (other module)", lambda: sessions_report(connection, scope, info)),
                ("build_report (all)", lambda: build_report(connection, scope)),
            ]
            for name, part in parts:
                started = time.perf_counter()
                part()
                timings.append((name, time.perf_counter() - started))
    finally:
        engine.dispose()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report_10m")
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-10m.duckdb"))
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--campaign", default="push_black_friday")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs")
    args = parser.parse_args(argv)
    if not args.db.exists():
        _build(args.db, args.events)
    url = f"duckdb:///{args.db}"
    engine = sa.create_engine(url, connect_args={"read_only": True})
    with engine.connect() as connection:
        total = connection.execute(sa.text("SELECT count(*) FROM message_events")).scalar_one()
        mine = connection.execute(
            sa.text("SELECT count(*) FROM message_events WHERE campaign_id = :c"),
            {"c": args.campaign},
        ).scalar_one()
    engine.dispose()
    print(f"database {args.db}: {total:,} message events, {mine:,} in {args.campaign}")

    cold, report = _time_cli(url, args.campaign)
    warm = [_time_cli(url, args.campaign)[0] for _ in range(args.repeat)]
    print(
        f"python -m metrics.report {args.campaign}: cold {cold:.2f} s, warm median "
        f"{statistics.median(warm):.2f} s (runs: {', '.join(f'{w:.2f}' for w in warm)})"
    )
    kpis = report["kpis"]
    print(
        "figures: "
        + ", ".join(
            f"{key}={kpis[key]}"
            for key in (
                "messages_sent",
                "delivered",
                "unique_impressions",
                "unique_opens",
                "clicks",
                "receivers",
                "converted_users",
                "conversion_rate",
            )
        )
        + f"; daily rows={len(report['daily'])}, srm_p_value={report['srm_p_value']}"
    )
    print("in-process, one pass per query on a fresh connection:")
    for name, seconds in _time_parts(url, args.campaign):
        print(f"  {name:<28} {seconds * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
