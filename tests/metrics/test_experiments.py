"""A/B statistics: cross-checked against statsmodels and an independent integration.

The formulas are the glossary's "Per variant" section; statsmodels' `proportions_ztest`
(pooled) and `confint_proportions_2indep(method="wald")` (unpooled) are the references
for the p-value and the diff interval, scipy's adaptive quadrature for the chance to beat.
"""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from scipy import integrate, stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from data.demo import build_demo
from metrics.experiments import (
    SRM_ALERT_THRESHOLD,
    Z_95,
    chance_to_beat,
    compare_proportions,
    srm_p_value,
    uplift,
    variant_rows,
    verdict,
)
from metrics.report import build_report, default_scope
from metrics.report_model import Comparison, VariantRow
from tests.conftest import WITH_CLICKHOUSE


@pytest.fixture(params=WITH_CLICKHOUSE)
def backend(request: pytest.FixtureRequest) -> str:
    """These tests also run on the two-shard ClickHouse cluster."""
    return str(request.param)


# (converted_v, users_v, converted_c, users_c)
STATSMODELS_CASES = [
    pytest.param(12, 50, 5, 50, id="n50-per-arm"),
    pytest.param(3, 50, 4, 50, id="n50-per-arm-worse"),
    pytest.param(5_300, 100_000, 5_000, 100_000, id="n100k-per-arm"),
    pytest.param(5_000, 100_000, 5_000, 100_000, id="n100k-equal-rates"),
    pytest.param(20, 400, 20, 400, id="n400-equal-rates"),
    pytest.param(15, 1_000, 990, 99_000, id="1pc-99pc-split"),
    pytest.param(1_980, 99_000, 14, 1_000, id="99pc-1pc-split"),
    pytest.param(60, 1_000, 50, 1_000, id="n1000-not-significant"),
    pytest.param(1, 7, 0, 9, id="tiny-arms-zero-control"),
    pytest.param(50, 50, 40, 50, id="all-converted-variant"),
    pytest.param(900, 10_000, 400, 5_000, id="unequal-arms"),
    pytest.param(49_500, 100_000, 50_000, 100_000, id="half-rates-n100k"),
]


def _statsmodels_reference(
    converted_v: int, users_v: int, converted_c: int, users_c: int
) -> tuple[float, float, float]:
    _, p_value = proportions_ztest([converted_v, converted_c], [users_v, users_c])
    low, high = confint_proportions_2indep(
        converted_v, users_v, converted_c, users_c, method="wald", compare="diff"
    )
    return float(p_value), float(low), float(high)


@pytest.mark.parametrize(("x_v", "n_v", "x_c", "n_c"), STATSMODELS_CASES)
def test_p_value_and_diff_interval_match_statsmodels(x_v: int, n_v: int, x_c: int, n_c: int):
    comparison = compare_proportions(x_v, n_v, x_c, n_c)
    p_value, low, high = _statsmodels_reference(x_v, n_v, x_c, n_c)

    assert comparison.diff == pytest.approx(x_v / n_v - x_c / n_c, abs=1e-15)
    assert comparison.p_value == pytest.approx(p_value, rel=1e-9, abs=1e-15)
    assert comparison.diff_ci_low == pytest.approx(low, abs=1e-12)
    assert comparison.diff_ci_high == pytest.approx(high, abs=1e-12)


def test_three_variants_each_match_statsmodels_against_the_control():
    meta = _meta(("A", False, 0.45), ("B", False, 0.45), ("control", True, 0.10))
    counts = _counts(("A", 4_500, 270), ("B", 4_500, 360), ("control", 1_000, 40))

    rows = {row.variant_id: row for row in variant_rows(meta, counts)}

    for variant_id, (x_v, n_v) in {"A": (270, 4_500), "B": (360, 4_500)}.items():
        p_value, low, high = _statsmodels_reference(x_v, n_v, 40, 1_000)
        assert rows[variant_id].p_value == pytest.approx(p_value, rel=1e-9)
        assert rows[variant_id].diff_ci_low == pytest.approx(low, abs=1e-12)
        assert rows[variant_id].diff_ci_high == pytest.approx(high, abs=1e-12)


def test_hand_computed_comparison_follows_the_glossary_formulas():
    # p_v = 60/1000 = 0.06, p_c = 50/1000 = 0.05, diff = 0.01
    # unpooled se = sqrt(.06*.94/1000 + .05*.95/1000) = sqrt(1.039e-4) = 0.0101931
    #   -> diff interval 0.01 -/+ 1.959964 * 0.0101931 = [-0.0099782, 0.0299782]
    # pooled p = 110/2000 = 0.055, se = sqrt(.055*.945*2/1000) = 0.0101956, z = 0.98081
    #   -> two-sided p = 0.326683
    # lift = 0.06/0.05 - 1 = 0.2; delta variance = .06*.94/(1000*.05^2)
    #   + .06^2*.05*.95/(1000*.05^4) = 0.02256 + 0.02736 = 0.04992, sqrt = 0.2234278
    #   -> lift interval 0.2 -/+ 0.4379105 = [-0.2379105, 0.6379105]
    comparison = compare_proportions(60, 1000, 50, 1000)

    assert comparison.diff == pytest.approx(0.01)
    assert comparison.diff_ci_low == pytest.approx(-0.0099782, abs=1e-7)
    assert comparison.diff_ci_high == pytest.approx(0.0299782, abs=1e-7)
    assert comparison.p_value == pytest.approx(0.326683, abs=1e-6)
    assert comparison.lift == pytest.approx(0.2)
    assert comparison.lift_ci_low == pytest.approx(-0.2379105, abs=1e-7)
    assert comparison.lift_ci_high == pytest.approx(0.6379105, abs=1e-7)


def test_intervals_use_the_exact_normal_quantile_not_1_96():
    assert stats.norm.ppf(0.975) == pytest.approx(Z_95, abs=1e-15)
    comparison = compare_proportions(60, 1000, 50, 1000)
    assert comparison.diff_ci_high is not None and comparison.diff is not None
    half_width = comparison.diff_ci_high - comparison.diff
    assert half_width / Z_95 == pytest.approx(math.sqrt(0.06 * 0.94 / 1000 + 0.05 * 0.95 / 1000))


def _beats_by_quad(x_v: int, n_v: int, x_c: int, n_c: int) -> float:
    """Independent reference: adaptive quadrature of pdf_v(x) * cdf_c(x) over [0, 1]."""
    post_v = stats.beta(1 + x_v, 1 + n_v - x_v)
    post_c = stats.beta(1 + x_c, 1 + n_c - x_c)
    low, high = post_v.ppf(1e-14), post_v.isf(1e-14)
    breakpoints = np.concatenate(
        [post_v.ppf([1e-6, 0.01, 0.5, 0.99]), post_c.ppf([1e-9, 1e-6, 0.01, 0.5, 0.99, 1 - 1e-6])]
    )
    breakpoints = np.unique(breakpoints[(breakpoints > low) & (breakpoints < high)])
    value, _ = integrate.quad(
        lambda x: post_v.pdf(x) * post_c.cdf(x),
        low,
        high,
        points=breakpoints,
        limit=500,
        epsabs=1e-12,
        epsrel=1e-12,
    )
    return value


@pytest.mark.parametrize(
    ("x_v", "n_v", "x_c", "n_c"),
    [
        (12, 50, 5, 50),
        (5, 50, 3, 50),
        (5_200, 100_000, 5_000, 100_000),
        (50_000, 100_000, 49_500, 100_000),
        (3, 50, 500, 100_000),
        (500, 100_000, 3, 50),
        (0, 100_000, 1, 100_000),
        (100_000, 100_000, 99_999, 100_000),
        (30, 1_000, 300, 10_000),
        # 500,001 terms at least in every form of the exact sum: the quadrature path
        (500_500, 1_000_000, 500_000, 1_000_000),
        (400_000, 1_000_000, 401_000, 1_000_000),
    ],
)
def test_chance_to_beat_matches_an_independent_integration(x_v: int, n_v: int, x_c: int, n_c: int):
    assert chance_to_beat(x_v, n_v, x_c, n_c) == pytest.approx(
        _beats_by_quad(x_v, n_v, x_c, n_c), abs=1e-6
    )


def test_chance_to_beat_is_a_coin_flip_for_identical_data():
    # Two identical posteriors: P(X > Y) = 1/2 by symmetry.
    assert chance_to_beat(37, 500, 37, 500) == pytest.approx(0.5, abs=1e-9)


def test_chance_to_beat_small_counts_match_the_hand_computed_value():
    # X ~ Beta(2,1) (1 of 1 converted), Y ~ Beta(1,2) (0 of 1):
    # P(X > Y) = integral 2x * (1 - (1-x)^2) dx over [0,1] = 1 - 2*integral x(1-x)^2 = 1 - 1/6
    assert chance_to_beat(1, 1, 0, 1) == pytest.approx(5 / 6, abs=1e-12)


def test_srm_flags_a_52_48_split_of_100k_planned_50_50():
    # chi2 = 2 * 2000^2 / 50000 = 160 on 1 dof -> p ~ 1e-36
    p_value = srm_p_value({"A": 52_000, "B": 48_000}, {"A": 0.5, "B": 0.5})
    assert p_value is not None
    assert p_value < 1e-30
    assert p_value < SRM_ALERT_THRESHOLD


def test_srm_does_not_flag_a_50_3_49_7_split_of_100k():
    # chi2 = 2 * 300^2 / 50000 = 3.6 on 1 dof -> p = 0.0578
    p_value = srm_p_value({"A": 50_300, "B": 49_700}, {"A": 0.5, "B": 0.5})
    assert p_value == pytest.approx(0.0577796, abs=1e-6)
    assert p_value is not None and p_value > SRM_ALERT_THRESHOLD


def test_srm_normalises_allocations_and_counts_missing_variants_as_zero():
    # Planned 0.9 : 0.9 : 0.2 -> 0.45 : 0.45 : 0.10 of 1000 = 450, 450, 100 expected.
    # Observed 450, 450, 100 fit exactly: chi2 = 0 -> p = 1.
    assert srm_p_value(
        {"A": 450, "B": 450, "control": 100}, {"A": 0.9, "B": 0.9, "control": 0.2}
    ) == pytest.approx(1.0)
    # Nobody entered under "control": chi2 = 50^2/450 * 2 + 100^2/100 = 111.1 on 2 dof
    expected = stats.chi2.sf(50**2 / 450 * 2 + 100, 2)
    assert srm_p_value({"A": 500, "B": 500}, {"A": 0.45, "B": 0.45, "control": 0.1}) == (
        pytest.approx(expected)
    )


def test_srm_uses_equal_shares_when_an_allocation_is_missing():
    # Equal shares of 300: 100 each; observed 120, 90, 90 -> chi2 = (400 + 100 + 100)/100 = 6
    p_value = srm_p_value({"A": 120, "B": 90, "C": 90}, {"A": 0.8, "B": None, "C": 0.1})
    assert p_value == pytest.approx(stats.chi2.sf(6, 2))


def test_srm_leaves_out_variants_with_zero_allocation():
    # "holdout" has allocation 0: only A vs B, 50/50 of 100 -> chi2 = 0 -> p = 1
    assert srm_p_value({"A": 50, "B": 50, "holdout": 7}, {"A": 0.5, "B": 0.5, "holdout": 0.0}) == (
        pytest.approx(1.0)
    )


def test_srm_is_none_with_fewer_than_two_variants_or_nobody_entered():
    assert srm_p_value({"A": 100}, {"A": 1.0}) is None
    assert srm_p_value({"A": 100, "B": 3}, {"A": 1.0, "B": 0.0}) is None
    assert srm_p_value({}, {"A": 0.5, "B": 0.5}) is None
    assert srm_p_value({"A": 0, "B": 0}, {"A": 0.5, "B": 0.5}) is None


def test_zero_users_in_an_arm_gives_no_comparison():
    assert compare_proportions(0, 0, 5, 100) == Comparison()
    assert compare_proportions(5, 100, 0, 0) == Comparison()


def test_zero_conversions_in_control_gives_no_lift_but_a_diff():
    # p_v = 5/50 = 0.1, p_c = 0: diff 0.1, se = sqrt(.1*.9/50) = 0.0424264 -> +/- 0.0831542
    # pooled 5/100 = 0.05 -> z = 0.1 / sqrt(.05*.95*2/50) = 2.29416 -> p = 0.021781
    comparison = compare_proportions(5, 50, 0, 50)
    assert comparison.lift is None
    assert comparison.lift_ci_low is None
    assert comparison.lift_ci_high is None
    assert comparison.diff == pytest.approx(0.1)
    assert comparison.diff_ci_low == pytest.approx(0.0168458, abs=1e-7)
    assert comparison.p_value == pytest.approx(0.021781, abs=1e-6)
    assert comparison.chance_to_beat_control is not None


def test_no_conversions_anywhere_gives_no_p_value_and_a_point_interval():
    # Pooled rate 0 -> no p-value; zero unpooled variance -> [diff, diff] = [0, 0]
    comparison = compare_proportions(0, 10, 0, 10)
    assert comparison.p_value is None
    assert (comparison.diff, comparison.diff_ci_low, comparison.diff_ci_high) == (0.0, 0.0, 0.0)
    assert comparison.lift is None
    assert verdict(comparison) == "not yet clear"


def test_everyone_converting_in_both_arms_gives_no_p_value():
    # Pooled rate 1 -> no p-value; lift = 1/1 - 1 = 0 with zero variance -> [0, 0]
    comparison = compare_proportions(50, 50, 50, 50)
    assert comparison.p_value is None
    assert (comparison.lift, comparison.lift_ci_low, comparison.lift_ci_high) == (0.0, 0.0, 0.0)
    assert (comparison.diff_ci_low, comparison.diff_ci_high) == (0.0, 0.0)


def test_a_fully_converted_variant_still_gets_an_interval_from_the_control_side():
    # p_v = 1 contributes no variance: se = sqrt(.8*.2/50) = 0.0565685 -> 0.2 -/+ 0.1108723
    comparison = compare_proportions(50, 50, 40, 50)
    assert comparison.diff_ci_low == pytest.approx(0.0891277, abs=1e-7)
    assert comparison.diff_ci_high == pytest.approx(0.3108723, abs=1e-7)
    assert comparison.p_value is not None


def test_one_converted_user_of_one_is_not_yet_clear():
    # 1/1 vs 0/1: the Wald interval collapses to [1, 1] but the pooled test says p = 0.157
    comparison = compare_proportions(1, 1, 0, 1)
    assert comparison.p_value == pytest.approx(0.157299, abs=1e-6)
    assert verdict(comparison) == "not yet clear"


def test_verdict_reads_the_direction_of_a_significant_difference():
    assert verdict(compare_proportions(360, 4_500, 270, 4_500)) == "better"  # p ~ 1e-4
    assert verdict(compare_proportions(270, 4_500, 360, 4_500)) == "worse"
    assert verdict(compare_proportions(60, 1_000, 50, 1_000)) == "not yet clear"  # p = 0.33
    assert verdict(Comparison()) == "not yet clear"


def _meta(*variants: tuple[str, bool, float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "campaign_id": ["c"] * len(variants),
            "variant_id": [variant[0] for variant in variants],
            "name": [f"Variant {variant[0]}" for variant in variants],
            "is_control": [variant[1] for variant in variants],
            "allocation": [variant[2] for variant in variants],
        },
        schema={
            "campaign_id": pl.String,
            "variant_id": pl.String,
            "name": pl.String,
            "is_control": pl.Boolean,
            "allocation": pl.Float64,
        },
    )


def _counts(*rows: tuple[str, int, int | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "variant_id": [row[0] for row in rows],
            "users": [row[1] for row in rows],
            "messages_sent": [row[1] * 2 for row in rows],
            "impressions": [row[1] for row in rows],
            "opens": [row[1] // 2 for row in rows],
            "clicks": [row[1] // 10 for row in rows],
            "errors": [0 for _ in rows],
            "converted_users": [row[2] for row in rows],
        },
        schema={
            "variant_id": pl.String,
            "users": pl.Int64,
            "messages_sent": pl.Int64,
            "impressions": pl.Int64,
            "opens": pl.Int64,
            "clicks": pl.Int64,
            "errors": pl.Int64,
            "converted_users": pl.Int64,
        },
    )


def test_variant_rows_put_the_control_first_and_compare_the_others_with_it():
    meta = _meta(("A", False, 0.45), ("B", False, 0.45), ("control", True, 0.10))
    counts = _counts(("A", 4_500, 270), ("B", 4_500, 360), ("control", 1_000, 40))

    rows = variant_rows(meta, counts)

    assert [row.variant_id for row in rows] == ["control", "A", "B"]
    control, a, b = rows
    assert control.is_baseline and control.is_control
    assert control.conversion_rate == pytest.approx(0.04)  # 40 / 1000
    assert control.lift is None and control.p_value is None and control.diff is None
    assert a.conversion_rate == pytest.approx(0.06)  # 270 / 4500
    assert a.lift == pytest.approx(0.5)  # 0.06 / 0.04 - 1
    assert b.diff == pytest.approx(0.04)  # 360/4500 = 0.08; 0.08 - 0.04
    assert b.ctr == pytest.approx(0.1)  # clicks 450 / impressions 4500
    assert not a.is_baseline


def test_variant_rows_without_control_take_the_first_variant_id_in_string_order():
    meta = _meta(("iv2", False, 0.5), ("iv10", False, 0.5))
    counts = _counts(("iv2", 100, 20), ("iv10", 100, 10))

    rows = variant_rows(meta, counts)

    # "iv10" < "iv2" as strings
    assert [row.variant_id for row in rows] == ["iv10", "iv2"]
    assert rows[0].is_baseline and not rows[0].is_control
    assert rows[1].lift == pytest.approx(1.0)  # 0.2 / 0.1 - 1


def test_variant_rows_pick_the_first_control_by_id_when_there_are_several():
    meta = _meta(("A", False, 0.8), ("holdout_b", True, 0.1), ("holdout_a", True, 0.1))
    counts = _counts(("A", 800, 80), ("holdout_a", 100, 5), ("holdout_b", 100, 6))

    rows = variant_rows(meta, counts)

    assert [row.variant_id for row in rows] == ["holdout_a", "A", "holdout_b"]
    assert rows[2].diff == pytest.approx(0.01)  # 0.06 - 0.05: the other control is compared too


def test_a_single_variant_is_its_own_baseline_with_no_comparison():
    rows = variant_rows(_meta(("A", False, 1.0)), _counts(("A", 100, 7)))

    assert len(rows) == 1
    assert rows[0].is_baseline
    assert rows[0].conversion_rate == pytest.approx(0.07)
    assert rows[0].p_value is None and rows[0].chance_to_beat_control is None


def test_a_variant_nobody_received_has_zeros_and_no_comparison():
    meta = _meta(("A", False, 0.5), ("control", True, 0.5))
    rows = variant_rows(meta, _counts(("control", 100, 5)))

    a = rows[1]
    assert (a.users, a.messages_sent, a.impressions, a.converted_users) == (0, 0, 0, 0)
    assert a.conversion_rate is None and a.ctr is None
    assert a.diff is None and a.p_value is None and a.chance_to_beat_control is None


def test_a_campaign_without_a_goal_has_no_conversion_figures():
    meta = _meta(("A", False, 0.5), ("B", False, 0.5))
    counts = _counts(("A", 100, None), ("B", 100, None))

    rows = variant_rows(meta, counts)

    assert all(row.converted_users is None and row.conversion_rate is None for row in rows)
    assert all(row.diff is None and row.chance_to_beat_control is None for row in rows)
    assert rows[1].ctr == pytest.approx(0.1)  # engagement figures stay


def test_no_variants_give_no_rows():
    assert variant_rows(_meta(), _counts()) == []


def test_uplift_is_the_treatment_diff_over_control():
    # 600/10000 = 0.06 vs 40/1000 = 0.04 -> uplift 0.02, as compare_proportions' diff
    figures = uplift(600, 10_000, 40, 1_000)
    reference = compare_proportions(600, 10_000, 40, 1_000)
    assert figures["uplift"] == pytest.approx(0.02)
    assert figures["uplift_ci_low"] == reference.diff_ci_low
    assert figures["uplift_ci_high"] == reference.diff_ci_high
    assert figures["uplift_p_value"] == reference.p_value
    assert set(figures) == {"uplift", "uplift_ci_low", "uplift_ci_high", "uplift_p_value"}


def test_uplift_is_none_without_goal_control_or_receivers():
    for figures in (uplift(None, None, None, 100), uplift(10, 100, 3, 0), uplift(0, 0, 3, 100)):
        assert set(figures.values()) == {None}


EDGE_CASES = [
    (0, 0, 5, 100),
    (5, 100, 0, 0),
    (5, 50, 0, 50),
    (0, 10, 0, 10),
    (50, 50, 50, 50),
    (50, 50, 40, 50),
    (0, 50, 50, 50),
    (1, 1, 0, 1),
]


@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_cases_serialise_to_json_without_nan(case: tuple[int, int, int, int]):
    comparison = compare_proportions(*case)
    text = json.dumps(comparison.model_dump(mode="json"), allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text
    for value in comparison.model_dump().values():
        assert value is None or math.isfinite(value)


def test_variant_rows_with_edge_cases_serialise_to_json_without_nan():
    meta = _meta(("A", False, 0.4), ("B", False, 0.4), ("C", False, 0.1), ("control", True, 0.1))
    counts = _counts(("A", 50, 50), ("B", 0, 0), ("C", 30, 0), ("control", 50, 0))

    rows = variant_rows(meta, counts)

    text = json.dumps([row.model_dump(mode="json") for row in rows], allow_nan=False)
    assert "NaN" not in text
    assert json.dumps(uplift(0, 0, 0, 0), allow_nan=False) == (
        '{"uplift": null, "uplift_ci_low": null, "uplift_ci_high": null, "uplift_p_value": null}'
    )


@pytest.mark.slow
def test_demo_ab_campaign_shows_b_significantly_better_and_a_sound_split(
    engine: sa.Engine,
) -> None:
    """The story the demo tells: B beats control and A for real, and the split is healthy.

    A quarter of the default demo (50,000 events): about 2,300 users each in A and B and
    500 in control (45/45/10); B converts ~8 %, A ~5 %, control ~3 %, so B vs A alone is
    z ~ 0.03 / sqrt(.065 * .935 * 2 / 2300) ~ 4 standard errors.
    """
    with engine.begin() as connection:
        build_demo(connection, events=50_000)
    with engine.connect() as connection:
        report = build_report(connection, default_scope(connection, "push_black_friday"))

    rows = {row.variant_id: row for row in report.variants}
    assert [row.variant_id for row in report.variants] == ["control", "A", "B"]
    assert verdict(_comparison(rows["B"])) == "better"
    assert rows["B"].p_value is not None and rows["B"].p_value < 0.001
    b_vs_a = compare_proportions(
        rows["B"].converted_users or 0,
        rows["B"].users,
        rows["A"].converted_users or 0,
        rows["A"].users,
    )
    assert verdict(b_vs_a) == "better"
    assert report.srm_p_value is not None and report.srm_p_value > SRM_ALERT_THRESHOLD
    assert report.kpis.uplift is not None and report.kpis.uplift_p_value is not None
    assert report.kpis.uplift_ci_low is not None and report.kpis.uplift_ci_low > 0
    json.dumps(report.model_dump(mode="json"), allow_nan=False)


def _comparison(row: VariantRow) -> Comparison:
    return Comparison(**{field: getattr(row, field) for field in Comparison.model_fields})
