"""Run a command as its own process and measure what a user waits for: wall time and peak RSS.

Every figure of the report benchmark is a whole process, start-up included, because a
person running the CLI (or a fresh app worker) pays the imports too. The peak resident
memory is the child's own, from `os.wait4` (RUSAGE_CHILDREN would give the largest of all
children so far). The command runs exactly as a user types it, with no wrapper: the report
ends its process with `os._exit`, which a wrapper printing the peak at exit would miss.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from data.database import PROJECT_ROOT


@dataclass(frozen=True)
class Run:
    """One finished process: seconds from start to exit, peak RSS in MB, its output."""

    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_process(arguments: list[str], environment: dict[str, str] | None = None) -> Run:
    """Run `arguments` from the project root; raise with its stderr if it fails.

    Output goes to temporary files, not pipes, so that the parent can wait with `wait4`
    (which gives the child's own resource usage) without a full pipe blocking the child.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            arguments,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=err,
            env={**os.environ, **(environment or {})},
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout, stderr = (_read_back(file) for file in (out, err))
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed: {stderr.strip()[-2000:]}")
    return Run(seconds=elapsed, peak_rss_mb=usage.ru_maxrss / 1024, stdout=stdout, stderr=stderr)


def _read_back(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")


def python_command(*arguments: str) -> list[str]:
    """`python ARGS...` with this interpreter (the project's virtual environment)."""
    return [sys.executable, *arguments]


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
