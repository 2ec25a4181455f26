"""The optional fields of a `data.scope.Scope`, for test helpers that pass them through.

A helper taking `**filters: object` hid from the type checker which keywords a scope
takes; `**filters: Unpack[ScopeFilters]` checks them at every call.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict


class ScopeFilters(TypedDict, total=False):
    """Zone, exclusions and drill-downs: every field of a Scope that has a default."""

    tz: str
    exclude_test_users: bool
    exclude_machine: bool
    variant: str | None
    action: str | None


class ScopeRange(TypedDict):
    """The fields of a Scope without a default: the campaign and its local date range."""

    campaign_id: str
    start: dt.date
    end: dt.date
