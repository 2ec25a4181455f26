"""The server's warm-up: what it imports, and that it runs the app once before serving."""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ui import warmup


def test_the_modules_of_a_script_are_its_top_level_absolute_imports(tmp_path: Path) -> None:
    script = tmp_path / "page.py"
    script.write_text(
        "from __future__ import annotations\n"
        "import json, os.path\n"
        "from ui import charts\n"
        "from . import sibling\n"  # relative: not a module name of its own
        "def later():\n"
        "    import csv\n"  # inside a function: imported when it runs, not warmed
    )
    assert list(warmup.imported_modules(script)) == ["__future__", "json", "os.path", "ui"]


def test_every_module_the_pages_import_exists_and_the_pages_are_all_read() -> None:
    names = {name for script in warmup.SCRIPTS for name in warmup.imported_modules(script)}
    assert {"streamlit", "polars", "ui", "metrics.figures"} <= names
    assert warmup.SCRIPTS[0].name == "main.py"
    assert {path.name for path in warmup.SCRIPTS[1:]} >= {"overview.py", "experiment.py"}
    for name in names - {"__future__"}:
        __import__(name)
        assert name in sys.modules


class _Runtime:
    def __init__(self, outcome: tuple[bool, str] | Exception) -> None:
        self.outcome = outcome
        self.runs = 0

    async def does_script_run_without_error(self) -> tuple[bool, str]:
        self.runs += 1
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


async def _serve(runtime: _Runtime) -> int:
    """The runs the warm-up made by the time the server would take its first request."""
    async with warmup.warm_server(object()):
        return runtime.runs


@pytest.mark.parametrize(
    "outcome", [(True, "ok"), (False, "error"), RuntimeError("database is down")]
)
def test_the_app_runs_once_before_the_server_serves_and_never_stops_it(
    outcome: tuple[bool, str] | Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _Runtime(outcome)
    monkeypatch.setattr(warmup.Runtime, "instance", staticmethod(lambda: runtime))
    # a loop of its own in a thread of its own: a browser test in this worker may have left
    # this thread's event loop running (Playwright's sync API)
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, _serve(runtime)).result() == 1
