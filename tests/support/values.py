"""A Series' `min`, `max` or `mean` as the type it is, for assertions that compare it.

Polars types those results as any Python literal (or None), so the type checker cannot
compare one with a number or an instant; these check the value and return it typed.
"""

from __future__ import annotations

import datetime as dt


def number(value: object) -> float:
    """`value` if it is a number (an int or a float), else the assertion fails."""
    assert isinstance(value, int | float), value
    return value


def instant(value: object) -> dt.datetime:
    """`value` if it is a datetime, else the assertion fails."""
    assert isinstance(value, dt.datetime), value
    return value
