"""What each figure means, in the glossary's words: the app's tooltips, read from the registry.

The sentences are declared once, in `metrics.figures`; this module keeps the mapping by
key that callers used before the registry existed. A key with two declarations (a
variant's conversion rate differs from the KPI's) maps to the KPI's sentence here; ask
`metrics.figures.help_for(key, table)` for a table's own.
"""

from __future__ import annotations

from metrics.figures import FIGURES
from metrics.figures import help_for as _help_for

HELP: dict[str, str] = {each.key: _help_for(each.key) for each in FIGURES}
"""Figure key -> the glossary's sentence in plain words."""


def help_for(key: str) -> str:
    """The help text of a figure key; an empty string for a key with none (no tooltip)."""
    return _help_for(key)
