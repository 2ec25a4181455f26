"""The Experiment page's conclusions, computed from the variant rows without a screen."""

from __future__ import annotations

import pytest

from metrics.report_model import VariantRow
from metrics.verdicts import (
    chance_level,
    most_convincing,
    row_verdict,
    runner_up_comparison,
    split_is_broken,
)


def _row(
    variant_id: str,
    users: int,
    converted: int,
    *,
    p_value: float | None = None,
    diff: float | None = None,
    control: bool = False,
) -> VariantRow:
    return VariantRow(
        variant_id=variant_id,
        name=variant_id,
        is_control=control,
        is_baseline=control,
        users=users,
        messages_sent=0 if control else users,
        impressions=0,
        opens=0,
        clicks=0,
        ctr=None,
        errors=0,
        converted_users=converted,
        conversion_rate=converted / users,
        diff=diff,
        p_value=p_value,
    )


CONTROL = _row("ctl", 1000, 40, control=True)


def test_a_significant_variant_is_told_about_before_a_higher_but_unclear_one() -> None:
    # A: 80 of 1000 (8 %) against 4 %, p = 0.0002: better. B: 3 of 20 (15 %), p = 0.06:
    # not yet clear, though its rate is higher. The headline tells about A.
    a = _row("A", 1000, 80, p_value=0.0002, diff=0.04)
    b = _row("B", 20, 3, p_value=0.06, diff=0.11)
    assert [row_verdict(row) for row in (CONTROL, a, b)] == ["baseline", "better", "not yet clear"]
    assert most_convincing([CONTROL, a, b]) == a
    # with nothing better, the highest rate among those compared: B
    unclear = a.model_copy(update={"p_value": 0.2})
    assert most_convincing([CONTROL, unclear, b]) == b


def test_the_runner_up_test_compares_the_best_message_with_the_next_best() -> None:
    a = _row("A", 1000, 50, p_value=0.3, diff=0.01)
    b = _row("B", 1000, 60, p_value=0.05, diff=0.02)
    pick, runner_up, comparison = runner_up_comparison([CONTROL, a, b]) or pytest.fail()
    assert (pick.variant_id, runner_up.variant_id) == ("B", "A")
    # 60/1000 against 50/1000: diff 0.01; pooled rate 110/2000 = 0.055,
    # se = sqrt(0.055 * 0.945 * (1/1000 + 1/1000)) = 0.0101956, z = 0.98082,
    # two-sided p = 2 * (1 - Phi(0.98082)) = 0.32668
    assert comparison.diff == pytest.approx(0.01)
    assert comparison.p_value == pytest.approx(0.32668, abs=1e-5)
    # lift = 0.06 / 0.05 - 1 = 0.2
    assert comparison.lift == pytest.approx(0.2)


def test_the_runner_up_test_needs_two_messages_with_users() -> None:
    a = _row("A", 1000, 50, p_value=0.3, diff=0.01)
    assert runner_up_comparison([CONTROL, a]) is None
    empty = _row("B", 1, 0, p_value=None, diff=None).model_copy(update={"users": 0})
    assert runner_up_comparison([CONTROL, a, empty]) is None


def test_the_split_is_broken_below_a_p_value_of_one_in_a_thousand() -> None:
    assert split_is_broken(0.0009)
    assert not split_is_broken(0.001)
    assert not split_is_broken(None)


def test_chance_levels_follow_the_p_value() -> None:
    assert [chance_level(p) for p in (0.0009, 0.001, 0.049, 0.05, None)] == [
        "very unlikely",
        "unlikely",
        "unlikely",
        "possible",
        "unknown",
    ]
