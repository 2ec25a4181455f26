"""Every benchmark in one go (`make bench`): prints figures, never fails on a speed.

    python -m benchmarks.run [--events N]

1. builds a fresh N-event demo database (default 10 million) and times the JSON report
   on its biggest campaign (`benchmarks.report_10m`), which also reports the demo
   generator's rate;
2. imports a synthetic N-row `message_events.parquet` with the real importer
   (`benchmarks.import_10m`).
About two minutes on the 2-core development box; each part runs in its own process so
that one's memory does not weigh on the other's figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from data.database import PROJECT_ROOT


def _run(module: str, *arguments: str) -> None:
    print(f"\n== python -m {module} {' '.join(arguments)}", flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", module, *arguments], cwd=PROJECT_ROOT, check=True)
    print(f"== {module} took {time.perf_counter() - started:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="campaign_bench_") as directory:
        database = Path(directory) / "bench.duckdb"
        _run("benchmarks.report_10m", "--db", str(database), "--events", str(arguments.events))
    _run("benchmarks.import_10m", "--rows", str(arguments.events))


if __name__ == "__main__":
    main()
