"""Which buckets of a chart the campaign covers only in part (issue 10: partial periods).

A first day that starts before the campaign did, or a last day that ends after it ended (or
after the newest data), holds fewer hours than its neighbours: drawn like the others it
reads as a cliff. Analytics tools (Amplitude, GA4) mark such a bucket; so do our charts,
from this pure function of the range, the granularity and the campaign's span.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from data.scope import Scope, local_midnight_utc
from data.vocabulary import Granularity


def next_bucket(start: dt.date, granularity: Granularity) -> dt.date:
    """The start of the bucket after the one starting on `start`."""
    if granularity == "week":
        return start + dt.timedelta(days=7)
    if granularity == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


def partial_buckets(
    starts: Iterable[dt.date],
    granularity: Granularity,
    scope: Scope,
    started_at: dt.datetime,
    ended_at: dt.datetime | None = None,
    as_of: dt.datetime | None = None,
) -> set[dt.date]:
    """The bucket starts whose local span is not wholly inside what the figures cover.

    Covered: from the later of the range start and the campaign start, to the earliest of
    the range end, the campaign end and `as_of` (the newest data, for a running campaign).

    >>> scope = Scope(campaign_id="c", start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 3))
    >>> utc = dt.timezone.utc
    >>> starts = [dt.date(2026, 11, day) for day in (1, 2, 3)]
    >>> sorted(partial_buckets(starts, "day", scope, dt.datetime(2026, 11, 1, 18, tzinfo=utc),
    ...                        dt.datetime(2026, 11, 3, 1, tzinfo=utc)))
    [datetime.date(2026, 11, 1), datetime.date(2026, 11, 3)]
    """
    zone = scope.zone
    covered_from = max(scope.range_start_utc, started_at)
    covered_to = min(
        [scope.range_end_utc, *(moment for moment in (ended_at, as_of) if moment is not None)]
    )
    partial: set[dt.date] = set()
    for start in starts:
        begins = local_midnight_utc(start, zone)
        ends = local_midnight_utc(next_bucket(start, granularity), zone)
        if begins < covered_from or ends > covered_to:
            partial.add(start)
    return partial
