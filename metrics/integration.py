"""INTEGRATION POINT: the report's figures that other modules compute.

Conversions and attribution (`metrics.conversions`), sessions (`metrics.sessions`) and the
A/B statistics (`metrics.experiments`) are written alongside this engine. Every call into
them goes through this module, so the report and the series have one place to look, and
a module that has not landed yet leaves its keys null or empty instead of breaking the
report.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from metrics.report_model import CampaignInfo, SessionsSummary
from metrics.scope import Scope


def conversion_result(connection: sa.Connection, scope: Scope, campaign: CampaignInfo) -> Any:
    """`metrics.conversions.conversion_report(...)`, or None while it is not there."""
    try:
        from metrics.conversions import conversion_report
    except ImportError:
        return None
    return conversion_report(connection, scope, campaign)


def sessions_summary(
    connection: sa.Connection, scope: Scope, campaign: CampaignInfo
) -> SessionsSummary | None:
    """`metrics.sessions.sessions_report(...)`, or None while it is not there."""
    try:
        from metrics.sessions import sessions_report
    except ImportError:
        return None
    return sessions_report(connection, scope, campaign)
