"""How fast the demo generator builds a large database: 10 million message events.

    python -m benchmarks.demo_generation [--events N] [--seed S]

Generates the demo (`data.demo.generate_demo`) and writes it into a fresh temporary
DuckDB file with the same bulk path `python -m data.demo` uses, then prints the time of
each step, the events per second of the whole build and the peak memory. Prints
figures; it is not a test.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from data.demo import DEFAULT_SEED, generate_demo, write_demo
from data.schema import create_schema


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.demo_generation")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        engine = sa.create_engine(f"duckdb:///{Path(directory) / 'demo.duckdb'}")
        create_schema(engine)
        started = time.perf_counter()
        frames = generate_demo(arguments.events, arguments.seed)
        generated = time.perf_counter()
        with engine.begin() as connection:
            counts = write_demo(connection, frames)
        written = time.perf_counter()
        engine.dispose()
        size = (Path(directory) / "demo.duckdb").stat().st_size

    events = counts["message_events"]
    total = written - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"asked for      {arguments.events:>14,} message events (seed {arguments.seed})")
    for name, rows in counts.items():
        print(f"  {name:<13}{rows:>14,} rows")
    print(f"generate       {generated - started:>14.1f} s")
    print(f"write (DuckDB) {written - generated:>14.1f} s")
    print(f"wall time      {total:>14.1f} s")
    print(f"rate           {events / total:>14,.0f} events/s (generation and write)")
    print(f"file size      {size / 2**20:>14,.0f} MiB")
    print(f"peak memory    {peak_mib:>14,.0f} MiB")


if __name__ == "__main__":
    main()
