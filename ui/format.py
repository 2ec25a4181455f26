"""How figures read on screen: rates as percentages with one decimal, n/a for no value.

The JSON report keeps fractions (0.25) and nulls; the screen shows "25.0 %" and "n/a"
(glossary: a rate with a zero denominator is n/a, never 0).
"""

from __future__ import annotations

import datetime as dt

NOT_AVAILABLE = "n/a"


def percent(value: float | None) -> str:
    """0.25 -> '25.0 %'; None -> 'n/a'."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value * 100:.1f} %"


def points(value: float | None) -> str:
    """A difference of two rates in percentage points, as the Experiment page shows it:
    0.038 -> '+3.80 pts' (not '3.8 %', which reads as a relative change); None -> 'n/a'."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value * 100:+.2f} pts"


def count(value: int | float | None) -> str:
    """1234567 -> '1,234,567'; None -> 'n/a'."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


COMPACT_FROM = 10_000
"""Below this a count shows in full (9,999 fits any card); from it, as 17.7K / 1.23M."""


def compact(value: int | float | None) -> str:
    """A count short enough for a KPI card at laptop width, as analytics tools show it.

    The exact value goes in the card's help (`ui.widgets.metric`), so nothing is lost:
    1234 -> '1,234'; 17712 -> '17.7K'; 4027969 -> '4.03M'; None -> 'n/a'.

    >>> compact(17712), compact(999_960), compact(4_027_969), compact(None)
    ('17.7K', '1.00M', '4.03M', 'n/a')
    """
    if value is None:
        return NOT_AVAILABLE
    size = abs(value)
    if size < COMPACT_FROM:
        return count(value)
    for scale, suffix, digits in ((1e3, "K", 1), (1e6, "M", 2)):
        shown = f"{value / scale:.{digits}f}"
        if size < scale * 1000 and abs(float(shown)) < 1000:  # 999,960 reads 1.00M
            return f"{shown}{suffix}"
    return f"{value / 1e9:,.2f}B"


CURRENCY_VARIABLE = "CAMPAIGN_CURRENCY"
"""The environment variable naming revenue's currency (an ISO 4217 code, default USD): the
event schema's revenue has no currency, so it is a setting of the app, as in Amplitude."""


def currency() -> str:
    """The currency code revenue is shown in (`CAMPAIGN_CURRENCY`, default USD)."""
    import os

    code = os.environ.get(CURRENCY_VARIABLE, "").strip().upper()
    return code if len(code) == 3 and code.isalpha() else "USD"


def money(value: float | None) -> str:
    """Revenue with two decimals, thousands separators and the currency ('1,234.50 USD');
    None -> 'n/a'."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:,.2f} {currency()}"


def seconds(value: float | None) -> str:
    """A duration in seconds as '3 min 05 s' (or '42 s'); None -> 'n/a'."""
    if value is None:
        return NOT_AVAILABLE
    whole = round(value)
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def per_day(value: float | None) -> str:
    """A daily rate with one decimal; None -> 'n/a'."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:,.1f}"


def timestamp(value: dt.datetime | None, tz: str) -> str:
    """An instant as local wall time in `tz` with the zone's name, for "Data as of"."""
    if value is None:
        return NOT_AVAILABLE
    from zoneinfo import ZoneInfo

    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M ") + tz


def delta_percent(before: float | None, during: float | None) -> str | None:
    """The relative change before -> during as '+12.5 %' for st.metric's delta, or None."""
    if before is None or during is None or before == 0:
        return None
    return f"{(during / before - 1) * 100:+.1f} %"
