"""Inside metrics/, the figure functions take frames; only the orchestration reads.

A notebook can call any figure function of `metrics/` on frames of its own, because none
of them runs a query: the reads sit in the few orchestration modules named below (the
report's and Explore's), which hand frames to the others. Checked on the source, so a
figure module that starts reading through `data/` fails here, however it is called.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

METRICS = Path(__file__).resolve().parents[2] / "metrics"

ORCHESTRATION = frozenset({"report", "view_data", "explore_data"})
"""The modules of metrics/ that read through data/: the report's passes and CLI
(`view_data`, `report`) and Explore's figures over time (`explore_data`)."""

FIGURE_MODULES = sorted(
    path.stem
    for path in METRICS.glob("*.py")
    if path.stem not in ORCHESTRATION and path.stem != "__init__"
)

QUERY_PARAMETERS = frozenset({"connection", "engine"})


def _runs_sql(function: object) -> bool:
    """A function that takes a connection or an engine: one that can run a statement."""
    if not callable(function) or inspect.isclass(function):
        return False
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        parameter.name in QUERY_PARAMETERS
        or any(word in str(parameter.annotation) for word in ("Connection", "Engine"))
        for parameter in parameters
    )


def _is_query_module(module: ModuleType) -> bool:
    """A module of data/ (or an orchestration module) that defines a function running SQL."""
    return any(
        _runs_sql(value)
        for value in vars(module).values()
        if getattr(value, "__module__", None) == module.__name__
    )


def _imports(source: str) -> Iterator[tuple[str, str | None]]:
    """(module, name) of every import of `source`; name None for `import module`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield from ((node.module, alias.name) for alias in node.names)


def reading_imports(source: str) -> list[str]:
    """What `source` imports that would let it read the database: SQLAlchemy itself, a
    query module of data/ or an orchestration module whole, or a function that takes a
    connection (a type or a constant of a query module, such as the user pass's bit
    layout, is vocabulary, not a read)."""
    found = []
    for module_name, name in _imports(source):
        root = module_name.split(".")[0]
        if root == "sqlalchemy":
            found.append(module_name)
            continue
        if root not in ("data", "metrics"):
            continue
        module = importlib.import_module(module_name)
        if name is None:
            if _is_query_module(module):
                found.append(module_name)
            continue
        value = getattr(module, name, None)
        if value is None:
            value = importlib.import_module(f"{module_name}.{name}")  # `from data import x`
        reads = _is_query_module(value) if isinstance(value, ModuleType) else _runs_sql(value)
        if reads:
            found.append(f"{module_name}.{name}")
    return found


def test_the_check_sees_a_read_through_data() -> None:
    source = (
        "import sqlalchemy as sa\n"
        "from data.queries.catalog import get_campaign\n"
        "from data.queries import events\n"
        "from data.vocabulary import Granularity\n"
        "from data.queries.user_pass import TYPE_BITS\n"
        "from metrics.view_data import ViewData, read_view\n"
    )
    assert reading_imports(source) == [
        "sqlalchemy",
        "data.queries.catalog.get_campaign",
        "data.queries.events",
        "metrics.view_data.read_view",
    ]


@pytest.mark.parametrize("name", FIGURE_MODULES)
def test_a_figure_module_reads_nothing_itself(name: str) -> None:
    source = (METRICS / f"{name}.py").read_text()
    assert reading_imports(source) == [], (
        f"metrics/{name}.py reads through data/: move the read into one of "
        f"{sorted(ORCHESTRATION)} and pass its frame in"
    )
