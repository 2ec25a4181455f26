"""Rates as the glossary defines them: a fraction, or None when the denominator is 0.

A rate over nobody is not 0 % (which reads as "everyone failed") and not an error: it is
"n/a". One helper for plain numbers, one for Polars columns, so both agree.
"""

from __future__ import annotations

import polars as pl


def ratio(numerator: int | float | None, denominator: int | float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0.

    >>> ratio(1, 4), ratio(3, 0), ratio(None, 2)
    (0.25, None, None)
    """
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def ratio_expr(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """The column-wise `ratio`: null where the denominator is 0 or null."""
    return (
        pl.when(denominator.is_null() | (denominator == 0))
        .then(None)
        .otherwise(numerator / denominator)
        .cast(pl.Float64)
    )
