"""What the Experiment page concludes from the variant rows: verdicts, the variant to tell
about, the runner-up test and the broken-split alert.

Pure functions of the report's `variants` rows (`metrics.experiments.variant_rows`), so
every decision that rests on a statistical test is made here, in one place, and a
notebook or a test gets the same answer as the screen; `ui.experiment_view` only words it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from metrics.experiments import (
    SIGNIFICANCE,
    SRM_ALERT_THRESHOLD,
    Verdict,
    compare_proportions,
    verdict,
)
from metrics.report_model import Comparison, VariantRow

BASELINE: Final = "baseline"
"""The verdict column's word for the row everything is compared with."""

RowVerdict = Verdict | Literal["baseline"]

VERY_UNLIKELY = 0.001
"""Below this p-value a difference is "very unlikely to be chance" (the headline's words)."""

ChanceLevel = Literal["unknown", "very unlikely", "unlikely", "possible"]
"""How likely a difference this large is by chance alone, from the test's p-value."""


def comparison_of(row: VariantRow) -> Comparison:
    """The row's comparison with the baseline, as the report computed it."""
    return Comparison(**{field: getattr(row, field) for field in Comparison.model_fields})


def row_verdict(row: VariantRow) -> RowVerdict:
    """The row's verdict ("better", "worse", "not yet clear"), or "baseline" for the row
    everything is compared with."""
    if row.is_baseline:
        return BASELINE
    return verdict(comparison_of(row))


def most_convincing(rows: Sequence[VariantRow]) -> VariantRow | None:
    """The variant the headline tells about: the best "better" one (highest conversion
    rate, then variant id), else the best of those compared; None with nothing compared."""
    compared = [row for row in rows if not row.is_baseline and row.diff is not None]
    if not compared:
        return None
    better = [row for row in compared if row_verdict(row) == "better"]
    return max(better or compared, key=lambda row: (row.conversion_rate or 0.0, row.variant_id))


def runner_up_comparison(
    rows: Sequence[VariantRow],
) -> tuple[VariantRow, VariantRow, Comparison] | None:
    """The most convincing variant against the next best message, tested the same way.

    With a control group the table compares every message with "no message"; a team
    choosing between messages also needs the best one against the runner-up (the message
    with the next highest conversion rate), by `compare_proportions`. Returns (pick,
    runner-up, comparison), or None with fewer than two messages that have users.

    >>> def row(vid: str, users: int, converted: int, control: bool = False) -> VariantRow:
    ...     return VariantRow(variant_id=vid, name=vid, is_control=control,
    ...         is_baseline=control, users=users, messages_sent=0, impressions=0, opens=0,
    ...         clicks=0, ctr=None, errors=0, converted_users=converted,
    ...         conversion_rate=converted / users, diff=None if control else 0.01)
    >>> pick, runner_up, comparison = runner_up_comparison(
    ...     [row("ctl", 1000, 40, True), row("A", 1000, 50), row("B", 1000, 60)])
    >>> pick.variant_id, runner_up.variant_id, round(comparison.diff, 3)
    ('B', 'A', 0.01)
    """
    pick = most_convincing(rows)
    if pick is None or pick.converted_users is None:
        return None
    others = [
        row
        for row in rows
        if not row.is_control
        and not row.is_baseline
        and row.converted_users is not None
        and row.users > 0
        and row.variant_id != pick.variant_id
    ]
    if not others:
        return None
    runner_up = max(others, key=lambda row: (row.conversion_rate or 0.0, row.variant_id))
    comparison = compare_proportions(
        pick.converted_users, pick.users, runner_up.converted_users or 0, runner_up.users
    )
    return pick, runner_up, comparison


def split_is_broken(srm_p_value: float | None) -> bool:
    """Whether the sample-ratio check says users were not split as planned (glossary:
    p-value below 0.001); False when the check could not be made."""
    return srm_p_value is not None and srm_p_value < SRM_ALERT_THRESHOLD


def chance_level(p_value: float | None) -> ChanceLevel:
    """How the test's two-sided p-value reads: "very unlikely" (below 0.001), "unlikely"
    (below the 5 % of the verdicts), "possible", or "unknown" without a p-value.

    >>> chance_level(0.0001), chance_level(0.03), chance_level(0.2), chance_level(None)
    ('very unlikely', 'unlikely', 'possible', 'unknown')
    """
    if p_value is None:
        return "unknown"
    if p_value < VERY_UNLIKELY:
        return "very unlikely"
    if p_value < SIGNIFICANCE:
        return "unlikely"
    return "possible"
