"""A small smoke run of `benchmarks.campaigns_page`, so the script cannot rot unnoticed.

It checks that the script builds its database, runs and writes its JSON; never a speed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import campaigns_page


def test_the_campaigns_page_benchmark_runs_and_writes_its_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the script points the app at its database through the environment; restore it after
    monkeypatch.setenv("CAMPAIGN_DB_URL", "duckdb:///:memory:")
    output = tmp_path / "campaigns_page.json"
    campaigns_page.main(
        [
            "--db",
            str(tmp_path / "bench.duckdb"),
            "--campaigns",
            "10",
            "--events",
            "2000",
            "--repeat",
            "1",
            "--json",
            str(output),
        ]
    )
    figures = json.loads(output.read_text())
    assert figures["campaigns"] == 10
    assert figures["page_rows"] == 10
    assert figures["summary_warm_s"] >= 0
