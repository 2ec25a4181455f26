"""Every benchmark in one go (`make bench`): prints figures, never fails on a speed.

    python -m benchmarks.run [--skip-postgres] [--skip-10m] [--skip-clickhouse]
        [--skip-browser] [--skip-vendor] [--no-readme]

1. builds (or reuses, under /tmp/campaign-bench) the deterministic demo with 1 million and
   10 million events in DuckDB, and the 1-million demo in a throwaway PostgreSQL 15
   cluster on loopback;
2. measures on each the floor, the report cold and warm, the naive notebook and the
   Overview page (`benchmarks.report_bench`); and the floor and the report cold and warm
   on the 10M demo copied into a two-shard ClickHouse cluster on this machine
   (`benchmarks.clickhouse_bench`; the loaded cluster is kept under /tmp, copying it the
   first time adds 60-90 s);
3. times the Campaigns page with 1,000 campaigns (`benchmarks.campaigns_page`), the app
   in Chromium on the default demo (`benchmarks.browser_timings`), and a 300,000-record
   Braze export's import, rate and peak RSS (`benchmarks.vendor_import`; its README figures
   at 0.5, 1 and 2 million come from longer runs of the same script);
4. writes everything, with the machine it ran on, to `benchmarks/results/latest.json`, and
   regenerates the figures table of the README from it.

About five minutes on the 2-core development box when the demo databases are reused
(building the 10M one the first time adds 67 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.processes import scratch_directory
from benchmarks.readme_table import update_readme
from benchmarks.report_bench import measure
from data.database import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "latest.json"
CAMPAIGN = "push_black_friday"


def _demo(url: str, events: int) -> float:
    """Build the demo at `url` (seconds), unless it is a DuckDB file that exists already."""
    started = time.perf_counter()
    reuse = ["--if-missing"] if url.startswith("duckdb:") else []
    subprocess.run(
        [sys.executable, "-m", "data.demo", "--db", url, "--events", str(events), *reuse],
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - started, 1)


def _machine() -> dict[str, Any]:
    memory_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0].split()
        memory_kb = int(first[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "system": platform.platform(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def _duckdb(events: int) -> dict[str, Any]:
    path = scratch_directory() / f"demo-{events}.duckdb"
    url = f"duckdb:///{path}"
    built = _demo(url, events)
    print(f"\n== DuckDB, {events:,}-event demo ({path}; build or reuse {built} s)", flush=True)
    figures = {"backend": "duckdb", "demo_events": events, "build_s": built} | measure(
        url, CAMPAIGN
    )
    _print(figures)
    return figures


def _postgres(events: int) -> dict[str, Any] | None:
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.support.postgres import available, start_cluster

    if not available():
        print("\n== PostgreSQL: not installed (make system-deps), skipped", flush=True)
        return None
    cluster = start_cluster()
    try:
        url = cluster.url
        built = _demo(url, events)
        print(f"\n== PostgreSQL 15, {events:,}-event demo (build {built} s)", flush=True)
        figures = {"backend": "postgresql", "demo_events": events, "build_s": built} | measure(
            url, CAMPAIGN
        )
    finally:
        cluster.stop()
    _print(figures)
    return figures


def _clickhouse(events: int) -> dict[str, Any] | None:
    """The same DuckDB demo in a two-shard ClickHouse cluster (`benchmarks.clickhouse_bench`,
    which keeps the loaded cluster under /tmp between runs)."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.support.clickhouse import available

    if not available():
        print("\n== ClickHouse: not installed (make system-deps), skipped", flush=True)
        return None
    source = scratch_directory() / f"demo-{events}.duckdb"
    figures = _side_benchmark(
        "benchmarks.clickhouse_bench",
        "clickhouse.json",
        *("--duckdb", str(source), "--events", str(events), "--campaign", CAMPAIGN),
        *("--clickhouse-only", "--warm-runs", "2"),
        *("--json", str(RESULTS.parent / "clickhouse.json")),
    )
    if figures is None:
        return None
    run: dict[str, Any] = figures["clickhouse_two_shards"]
    run["copy_into_cluster_s"] = sum(figures.get("copy_into_cluster_s", {}).values())
    run["reused_cached_cluster"] = "reused_cached_cluster" in figures
    _print(run)
    return run


def _side_benchmark(module: str, json_name: str, *arguments: str) -> dict[str, Any] | None:
    """Run another benchmark script as its own process and read the JSON it writes."""
    print(f"\n== python -m {module} {' '.join(arguments)}", flush=True)
    done = subprocess.run([sys.executable, "-m", module, *arguments], cwd=PROJECT_ROOT, check=False)
    path = RESULTS.parent / json_name
    if done.returncode != 0 or not path.exists():
        print(f"  {module} failed (exit {done.returncode}); its figures are left out")
        return None
    figures: dict[str, Any] = json.loads(path.read_text())
    return figures


def _print(figures: dict[str, Any]) -> None:
    for key, value in figures.items():
        print(f"  {key:<28} {value}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-10m", action="store_true")
    parser.add_argument(
        "--skip-clickhouse", action="store_true", help="no 10M report on the two-shard cluster"
    )
    parser.add_argument("--skip-browser", action="store_true", help="no Chromium timings")
    parser.add_argument("--skip-vendor", action="store_true", help="no vendor import run")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md as it is")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    machine = _machine()
    runs: list[dict[str, Any]] = [_duckdb(1_000_000)]
    if not args.skip_10m:
        runs.append(_duckdb(10_000_000))
        if not args.skip_clickhouse:
            cluster_run = _clickhouse(10_000_000)
            if cluster_run is not None:
                runs.append(cluster_run)
    if not args.skip_postgres:
        postgres = _postgres(1_000_000)
        if postgres is not None:
            runs.append(postgres)
    campaigns_page = _side_benchmark(
        "benchmarks.campaigns_page", "campaigns_page.json", "--repeat", "3"
    )
    browser = None
    if not args.skip_browser:
        browser = _side_benchmark(
            "benchmarks.browser_timings", "browser_timings.json", "--repeat", "2"
        )
    vendor_import = None
    if not args.skip_vendor:
        vendor_import = _side_benchmark(
            "benchmarks.vendor_import", "vendor_import.json", "--records", "300000"
        )
    result = {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "campaign": CAMPAIGN,
        "runs": runs,
        "campaigns_page": campaigns_page,
        "browser": browser,
        "vendor_import": vendor_import,
        "total_s": round(time.perf_counter() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(PROJECT_ROOT)} ({result['total_s']} s in all)")
    if not args.no_readme:
        update_readme(result)
        print("updated the figures table of README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
