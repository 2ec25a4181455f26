"""A small smoke run of the ClickHouse benchmark (`make bench`'s cluster column), so it
cannot rot: a tiny DuckDB demo copied into a two-shard cluster, the cluster kept for the
next run, and the README table drawn with its column. Never a speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.clickhouse_bench import cache_directory, measure
from benchmarks.readme_table import table
from data.demo import ensure_demo_database
from tests.support import clickhouse
from tests.support.bench import bench_result

pytestmark = [
    pytest.mark.xdist_group("clickhouse"),
    pytest.mark.skipif(not clickhouse.available(), reason="clickhouse-server is not installed"),
]


def test_the_cluster_benchmark_measures_its_figures_and_reuses_the_loaded_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_BENCH_DIR", str(tmp_path / "scratch"))
    source = tmp_path / "demo.duckdb"
    ensure_demo_database(f"duckdb:///{source}", events=5_000)
    first = measure(source, "push_black_friday", with_duckdb=False, warm_runs=1)
    run = first["clickhouse_two_shards"]
    assert "reused_cached_cluster" not in first
    assert run["events_in_table"] >= run["events_in_campaign"] > 0
    assert set(first["copy_into_cluster_s"]) >= {"message_events", "sessions", "campaigns"}
    for key in ("floor_s", "report_cold_s", "report_warm_s", "report_over_floor"):
        assert run[key] > 0, key
    assert (cache_directory(source) / "loaded.json").exists()

    again = measure(source, "push_black_friday", with_duckdb=False, warm_runs=1)
    assert again["reused_cached_cluster"] == str(cache_directory(source))
    assert again["clickhouse_two_shards"]["events_in_table"] == run["events_in_table"]

    result = bench_result([run | {"demo_events": 5_000}])
    drawn = table(result)
    assert "| figure | clickhouse 2 shards 0.005M |" in drawn
    assert "both servers share this one machine" in drawn
