"""A `make bench` result around given runs, as `benchmarks.readme_table` reads it."""

from __future__ import annotations

from typing import Any


def bench_result(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON of one benchmark run on a made-up 2-core test machine."""
    return {
        "measured_at": "2026-11-30T00:00:00+00:00",
        "machine": {
            "cores": 2,
            "memory_gib": 24.0,
            "python": "3.11",
            "system": "test",
            "load_average_at_start": [0.5, 0.5, 0.5],
        },
        "campaign": "push_black_friday",
        "runs": runs,
    }
