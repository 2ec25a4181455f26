"""A small smoke run of the report benchmark (`make bench`'s main part), so it cannot rot.

It measures a tiny demo and checks that every figure is there and makes sense as a
number, and that the README table can be drawn from it; never a speed.
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.readme_table import table
from benchmarks.report_bench import measure
from data.demo import ensure_demo_database
from tests.support.bench import bench_result


def test_the_report_benchmark_measures_every_figure_and_draws_the_readme_table(
    tmp_path: Path,
) -> None:
    url = f"duckdb:///{tmp_path / 'bench.duckdb'}"
    ensure_demo_database(url, events=5_000)
    figures = measure(url, "push_black_friday", warm_runs=1, app=True)
    assert figures["events_in_table"] >= figures["events_in_campaign"] > 0
    for key in (
        "floor_s",
        "report_cold_s",
        "report_warm_s",
        "naive_notebook_s",
        "overview_cold_s",
        "overview_warm_s",
    ):
        assert figures[key] > 0, key
    for key in ("report_peak_rss_mb", "floor_peak_rss_mb", "naive_notebook_peak_rss_mb"):
        assert math.isfinite(figures[key]) and figures[key] > 10, key  # a Python process
    # The ratio is taken before the times are rounded to milliseconds for the JSON.
    ratio = figures["report_warm_s"] / figures["floor_s"]
    assert abs(figures["report_over_floor"] - ratio) < 0.02 * ratio
    result = bench_result([{"backend": "duckdb", "demo_events": 5_000} | figures])
    drawn = table(result)
    assert "| report / floor |" in drawn
    assert f"{figures['events_in_campaign']:,}" in drawn
