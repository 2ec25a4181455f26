"""Run a command as its own process and measure what a user waits for: wall time and peak RSS.

Every figure of the report benchmark is a whole process, start-up included, because a
person running the CLI (or a fresh app worker) pays the imports too. The peak resident
memory is the child's own: `benchmarks.measured` runs the command in-process and prints
its ru_maxrss at exit (RUSAGE_CHILDREN would give the largest of all children so far).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from data.database import PROJECT_ROOT


@dataclass(frozen=True)
class Run:
    """One finished process: seconds from start to exit, peak RSS in MB, its output."""

    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_process(arguments: list[str], environment: dict[str, str] | None = None) -> Run:
    """Run `arguments` from the project root; raise with its stderr if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(
        arguments,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(environment or {})},
    )
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed: {stderr.strip()[-2000:]}")
    peak = _peak_from_stderr(stderr)
    return Run(seconds=elapsed, peak_rss_mb=peak, stdout=stdout, stderr=stderr)


_RSS_MARK = "__peak_rss_kb__="


def python_command(*arguments: str) -> list[str]:
    """`python -m benchmarks.measured ARGS...`: runs ARGS as `python ARGS` and prints the
    peak RSS on stderr at exit, so the benchmark reads the child's own peak."""
    return [sys.executable, "-m", "benchmarks.measured", *arguments]


def _peak_from_stderr(stderr: str) -> float:
    for line in reversed(stderr.splitlines()):
        if line.startswith(_RSS_MARK):
            return int(line.removeprefix(_RSS_MARK)) / 1024
    return float("nan")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def scratch_directory() -> Path:
    """Where benchmark databases are kept between runs (rebuilding 10M events takes 67 s)."""
    path = Path(os.environ.get("CAMPAIGN_BENCH_DIR", "/tmp/campaign-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path
