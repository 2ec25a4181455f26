"""How long the Campaigns page takes with 1,000 campaigns (DuckDB), and its summary query.

    python -m benchmarks.campaigns_page [--db PATH] [--campaigns N] [--events N] [--repeat K]
                                        [--json PATH]

Builds the demo with `--campaigns N` (default 1,000: the four story campaigns plus 996
small ones, about 430k events) unless the file exists (default
`/tmp/bench-campaigns-1000.duckdb`, reused between runs). Then times, in this process:

- the summary statement alone (`data.queries.campaign_summary.campaign_summary`), first on a new
  connection and then warm (median of `--repeat`), with the flags off and on;
- the old way for comparison: `campaign_kpis` per campaign on a sample, times N;
- the page through Streamlit's AppTest: the first run (imports and empty caches), a run
  after clearing the caches (cold data, warm code) and a rerun (cached), median of K.

Prints the figures and writes them as JSON (default
`benchmarks/results/campaigns_page.json`). It is not a test: nothing here fails on a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from data.database import PROJECT_ROOT, create_reader_engine
from data.demo import DEFAULT_EVENTS, ensure_demo_database
from data.queries.campaign_summary import campaign_summary
from metrics.report import campaign_kpis, default_scope

APP = str(PROJECT_ROOT / "main.py")
DEFAULT_DB = Path("/tmp/bench-campaigns-1000.duckdb")
DEFAULT_JSON = PROJECT_ROOT / "benchmarks" / "results" / "campaigns_page.json"
KPI_SAMPLE = 20


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _median(work: Callable[[], object], repeat: int) -> float:
    return statistics.median(_seconds(work) for _ in range(repeat))


def _summary_figures(url: str, repeat: int) -> dict[str, Any]:
    """The summary statement alone, and `campaign_kpis` per campaign on a sample."""
    engine = create_reader_engine(url)
    try:
        with engine.connect() as connection:
            events = connection.execute(sa.text("SELECT count(*) FROM message_events")).scalar()
            first = _seconds(lambda: campaign_summary(connection))
            rows = campaign_summary(connection)
            warm = _median(lambda: campaign_summary(connection), repeat)
            flagged = _median(
                lambda: campaign_summary(
                    connection, "Europe/Paris", exclude_test_users=True, exclude_machine=True
                ),
                repeat,
            )
            sample = rows["campaign_id"].to_list()[:KPI_SAMPLE]
            started = time.perf_counter()
            for campaign_id in sample:
                campaign_kpis(connection, default_scope(connection, campaign_id))
            per_campaign = (time.perf_counter() - started) / len(sample)
    finally:
        engine.dispose()
    return {
        "events": int(events or 0),
        "campaigns": rows.height,
        "summary_first_s": round(first, 3),
        "summary_warm_s": round(warm, 3),
        "summary_paris_flags_on_warm_s": round(flagged, 3),
        "campaign_kpis_per_campaign_s": round(per_campaign, 4),
        "campaign_kpis_all_estimated_s": round(per_campaign * rows.height, 1),
    }


def _page_figures(url: str, repeat: int) -> dict[str, Any]:
    """The Campaigns page (the app's default page) through AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["CAMPAIGN_DB_URL"] = url
    app = AppTest.from_file(APP, default_timeout=600)
    first = _seconds(app.run)
    if app.exception:
        raise SystemExit(f"the page failed: {app.exception[0].message}")
    shown = app.dataframe[0].value.shape[0] if app.dataframe else 0

    def cold() -> None:
        st.cache_data.clear()
        app.run()

    cold_data = statistics.median(_seconds(cold) for _ in range(repeat))
    warm = _median(app.run, repeat)
    return {
        "page_rows": shown,
        "page_first_run_s": round(first, 3),
        "page_cold_cache_s": round(cold_data, 3),
        "page_warm_s": round(warm, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--campaigns", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="story events")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    arguments = parser.parse_args(argv)
    url = f"duckdb:///{arguments.db}"
    if not arguments.db.exists():
        started = time.perf_counter()
        ensure_demo_database(url, events=arguments.events, campaigns=arguments.campaigns)
        print(f"built {arguments.db} in {time.perf_counter() - started:.1f} s")
    figures: dict[str, Any] = {
        "machine": f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()})",
        "python": sys.version.split()[0],
        "database": str(arguments.db),
    }
    figures |= _summary_figures(url, arguments.repeat)
    figures |= _page_figures(url, arguments.repeat)
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {arguments.json}")


if __name__ == "__main__":
    main()
