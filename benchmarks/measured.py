"""Run `python ARGS...` in this process, then print its peak RSS on stderr.

    python -m benchmarks.measured -m metrics.report push_black_friday
    python -m benchmarks.measured -c "import duckdb; ..."

The last stderr line is `__peak_rss_kb__=N` (ru_maxrss of this process, in kB), which
`benchmarks.processes` reads. The exit status is the command's.
"""

from __future__ import annotations

import resource
import runpy
import sys


def _peak_line() -> str:
    return f"__peak_rss_kb__={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}"


def main(arguments: list[str]) -> int:
    if len(arguments) < 2 or arguments[0] not in ("-m", "-c"):
        print(
            "usage: python -m benchmarks.measured (-m MODULE | -c CODE) [ARGS...]", file=sys.stderr
        )
        return 2
    mode, target, *rest = arguments
    status = 0
    try:
        if mode == "-m":
            sys.argv = [target, *rest]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *rest]
            exec(compile(target, "<benchmark>", "exec"), {"__name__": "__main__"})
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    sys.stdout.flush()
    print(_peak_line(), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
