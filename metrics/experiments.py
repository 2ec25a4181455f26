"""A/B tests with real statistics: is a variant's conversion rate really different?

Messaging tools show a variant table and a "boost %" with no test behind it. This module
follows the glossary's "Per variant" section and its uplift row exactly, so the report and
the Experiment page can say whether a difference is real:

- `compare_proportions`: lift with its delta-method interval, absolute diff with its
  unpooled Wald interval, pooled two-proportion z-test p-value, and the Bayesian chance
  to beat control (Beta(1,1) priors, computed exactly, never by sampling);
- `srm_p_value`: Pearson chi-square sample-ratio check of the planned split;
- `variant_rows`: the report's `variants` rows, baseline first;
- `uplift`: the campaign-level treatment-versus-control figures of `kpis`;
- `verdict`: the words the page shows ("better", "worse", "not yet clear").

Every degenerate case yields None, never NaN or infinity, so the JSON report stays valid.
Statistics come from closed forms in `metrics.distributions` (normal tail, Beta functions,
chi-square tail); scipy is imported only for the rare quadrature path (its import alone
took 1.5 s, longer than most reports).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Literal

import polars as pl

from metrics.distributions import chi_square_sf, log_beta, log_sum_exp, normal_sf
from metrics.report_model import Comparison, VariantRow

Z_95 = 1.959963984540054
"""The 0.975 quantile of the standard normal (glossary: not 1.96)."""

SIGNIFICANCE = 0.05
"""Two-sided level behind the verdict words: 95 % confidence."""

SRM_ALERT_THRESHOLD = 0.001
"""Below this sample-ratio-mismatch p-value the split is broken (glossary)."""

EXACT_SUM_MAX_TERMS = 200_000
"""Above this many terms the exact chance-to-beat sum gives way to quadrature (speed)."""

Verdict = Literal["better", "worse", "not yet clear"]


def _finite(value: float) -> float | None:
    """A float for JSON, or None when arithmetic produced NaN or infinity."""
    value = float(value)
    return value if math.isfinite(value) else None


def _clip_probability(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def compare_proportions(
    converted_v: int, users_v: int, converted_c: int, users_c: int
) -> Comparison:
    """Compare a variant (v) with the control or baseline (c) on converted / users.

    Degenerate cases follow the glossary: either side with 0 users gives every field
    None; a pooled rate of 0 or 1 gives no p-value; zero unpooled variance gives the
    interval [diff, diff]; a baseline rate of 0 gives no lift.

    >>> c = compare_proportions(60, 1000, 50, 1000)
    >>> round(c.diff, 4), round(c.lift, 4)
    (0.01, 0.2)
    """
    if users_v <= 0 or users_c <= 0:
        return Comparison()
    p_v = converted_v / users_v
    p_c = converted_c / users_c
    diff = p_v - p_c

    se_diff = math.sqrt(p_v * (1 - p_v) / users_v + p_c * (1 - p_c) / users_c)
    diff_ci_low, diff_ci_high = diff - Z_95 * se_diff, diff + Z_95 * se_diff

    pooled = (converted_v + converted_c) / (users_v + users_c)
    p_value: float | None = None
    if 0 < pooled < 1:
        se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / users_v + 1 / users_c))
        p_value = _clip_probability(2 * normal_sf(abs(diff) / se_pooled))

    lift = lift_ci_low = lift_ci_high = None
    if p_c > 0:
        lift = p_v / p_c - 1
        variance = p_v * (1 - p_v) / (users_v * p_c**2) + p_v**2 * p_c * (1 - p_c) / (
            users_c * p_c**4
        )
        half_width = Z_95 * math.sqrt(variance)
        lift_ci_low, lift_ci_high = lift - half_width, lift + half_width

    return Comparison(
        lift=None if lift is None else _finite(lift),
        lift_ci_low=None if lift_ci_low is None else _finite(lift_ci_low),
        lift_ci_high=None if lift_ci_high is None else _finite(lift_ci_high),
        diff=_finite(diff),
        diff_ci_low=_finite(diff_ci_low),
        diff_ci_high=_finite(diff_ci_high),
        p_value=p_value,
        chance_to_beat_control=chance_to_beat(converted_v, users_v, converted_c, users_c),
    )


def _log_beats(alpha_b: int, beta_b: int, alpha_a: int, beta_a: int) -> list[float]:
    """Log-terms of the exact sum for P(Beta(alpha_b, beta_b) > Beta(alpha_a, beta_a)).

    The closed form for integer alpha_b (Evan Miller, "Formulas for Bayesian A/B testing"):
    P = sum_{i=0}^{alpha_b-1} B(alpha_a+i, beta_a+beta_b) /
        ((beta_b+i) B(1+i, beta_b) B(alpha_a, beta_a)).
    """
    constant = log_beta(alpha_a, beta_a)
    return [
        log_beta(alpha_a + i, beta_a + beta_b)
        - math.log(beta_b + i)
        - log_beta(1 + i, beta_b)
        - constant
        for i in range(alpha_b)
    ]


def _exact_beats(a_v: int, b_v: int, a_c: int, b_c: int) -> float:
    """P(X_v > X_c) by the closed-form sum, summed over the fewest terms.

    The sum runs over the first shape of the "winning" variable, so we pick whichever of
    four equivalent forms is shortest: P(X_v > X_c) = 1 - P(X_c > X_v), and mirroring
    x -> 1 - x swaps the two shapes and the direction.
    """
    forms: list[tuple[int, Callable[[], list[float]], bool]] = [
        (a_v, lambda: _log_beats(a_v, b_v, a_c, b_c), False),  # P(X_v > X_c)
        (a_c, lambda: _log_beats(a_c, b_c, a_v, b_v), True),  # 1 - P(X_c > X_v)
        (b_c, lambda: _log_beats(b_c, a_c, b_v, a_v), False),  # P(1-X_c > 1-X_v)
        (b_v, lambda: _log_beats(b_v, a_v, b_c, a_c), True),  # 1 - P(1-X_v > 1-X_c)
    ]
    _, log_terms, complement = min(forms, key=lambda form: form[0])
    probability = math.exp(log_sum_exp(log_terms()))
    return 1 - probability if complement else probability


def _quadrature_beats(a_v: int, b_v: int, a_c: int, b_c: int) -> float:
    """P(X_v > X_c) = integral of pdf_v * cdf_c, by Gauss-Legendre on a concentrated grid.

    For counts too large for the exact sum: the integral runs over the central
    1 - 2e-15 of X_v's posterior, cut into pieces at quantiles of both posteriors so that
    the steep part of cdf_c is resolved wherever it falls.
    """
    import numpy as np  # numpy and scipy only for these rare, very large counts
    from scipy import stats

    post_v = stats.beta(a_v, b_v)
    post_c = stats.beta(a_c, b_c)
    low, high = post_v.ppf(1e-15), post_v.isf(1e-15)
    probabilities = np.linspace(1e-15, 1 - 1e-15, 201)
    cuts = np.concatenate([post_v.ppf(probabilities), post_c.ppf(probabilities), [low, high]])
    cuts = np.unique(np.clip(cuts, low, high))
    nodes, weights = np.polynomial.legendre.leggauss(32)
    left, right = cuts[:-1, None], cuts[1:, None]
    x = (right - left) / 2 * nodes + (right + left) / 2
    integrand = post_v.pdf(x) * post_c.cdf(x)
    # The mass of X_v above `high` (<= 1e-15) beats X_c with probability ~ cdf_c(high).
    tail = post_v.sf(high) * post_c.cdf(high)
    return float(np.sum((right - left) / 2 * weights * integrand) + tail)


def chance_to_beat(converted_v: int, users_v: int, converted_c: int, users_c: int) -> float | None:
    """Bayesian chance that the variant's true rate beats the control's, Beta(1,1) priors.

    P(Beta(1+x_v, 1+n_v-x_v) > Beta(1+x_c, 1+n_c-x_c)), exact (closed-form sum) up to
    `EXACT_SUM_MAX_TERMS` terms, else deterministic quadrature; both accurate to well
    below 1e-6. None when either side has no users (glossary's degenerate cases).

    >>> chance_to_beat(0, 1, 0, 1)  # Beta(1,2) vs Beta(1,2): a coin flip by symmetry
    0.5
    """
    if users_v <= 0 or users_c <= 0:
        return None
    a_v, b_v = 1 + converted_v, 1 + users_v - converted_v
    a_c, b_c = 1 + converted_c, 1 + users_c - converted_c
    if min(a_v, b_v, a_c, b_c) <= EXACT_SUM_MAX_TERMS:
        probability = _exact_beats(a_v, b_v, a_c, b_c)
    else:
        probability = _quadrature_beats(a_v, b_v, a_c, b_c)
    return _clip_probability(round(probability, 12))


def srm_p_value(
    entered_users: Mapping[str, int], allocations: Mapping[str, float | None]
) -> float | None:
    """Sample-ratio-mismatch p-value: were users split in the planned proportions?

    Pearson chi-square goodness of fit (k - 1 degrees of freedom) of the users who
    entered under each variant against the planned allocation. `allocations` holds every
    variant of the campaign; one missing from `entered_users` counts 0, and entered
    users under a variant id the campaign does not define are ignored. Variants with
    allocation 0 are left out; if any remaining allocation is None (or not a finite
    positive number), every remaining variant gets an equal share. None with fewer than
    two variants in the test or nobody entered.

    >>> srm_p_value({"A": 50, "B": 50}, {"A": 0.5, "B": 0.5})
    1.0
    """
    tested = [
        variant
        for variant, share in allocations.items()
        if share is None or not math.isfinite(share) or share != 0
    ]
    if len(tested) < 2:
        return None
    observed = [float(entered_users.get(variant, 0)) for variant in tested]
    total = sum(observed)
    if total <= 0:
        return None
    shares = [allocations[variant] for variant in tested]
    usable = [
        share for share in shares if share is not None and math.isfinite(share) and share >= 0
    ]
    if len(usable) < len(shares):
        planned = [1 / len(tested)] * len(tested)
    else:
        planned = [float(share) / sum(usable) for share in usable]
    statistic = math.fsum(
        (seen - share * total) ** 2 / (share * total)
        for seen, share in zip(observed, planned, strict=True)
    )
    return _finite(chi_square_sf(statistic, len(tested) - 1))


def verdict(comparison: Comparison) -> Verdict:
    """ "better", "worse" or "not yet clear" at 95 %, from the two-sided p-value.

    The pooled z-test decides (p < 0.05) and the sign of diff gives the direction. We use
    the p-value rather than the Wald interval because the interval collapses to a point
    when a side's rate is 0 or 1 (one converted user out of one would read "better"),
    while the test still asks whether that could be chance. The baseline itself, and any
    comparison without a p-value, is "not yet clear".
    """
    if comparison.p_value is None or comparison.diff is None:
        return "not yet clear"
    if comparison.p_value < SIGNIFICANCE and comparison.diff > 0:
        return "better"
    if comparison.p_value < SIGNIFICANCE and comparison.diff < 0:
        return "worse"
    return "not yet clear"


def uplift(
    converted_users: int | None,
    receivers: int | None,
    control_converted_users: int | None,
    control_users: int,
) -> dict[str, float | None]:
    """The campaign's uplift over its control group: absolute diff, interval, p-value.

    Treatment converted_users / receivers against control_converted_users / control_users,
    computed as the variants' diff. All None without a conversion goal, without control
    users or without receivers.

    >>> uplift(None, None, None, 100)["uplift"] is None
    True
    """
    if converted_users is None or receivers is None or control_converted_users is None:
        comparison = Comparison()
    else:
        comparison = compare_proportions(
            converted_users, receivers, control_converted_users, control_users
        )
    return {
        "uplift": comparison.diff,
        "uplift_ci_low": comparison.diff_ci_low,
        "uplift_ci_high": comparison.diff_ci_high,
        "uplift_p_value": comparison.p_value,
    }


COUNT_COLUMNS = ("users", "messages_sent", "impressions", "opens", "clicks", "errors")


def _baseline_id(variants_meta: pl.DataFrame) -> str:
    """The control (first by variant_id if several), else the first variant_id."""
    controls = sorted(
        variant_id
        for variant_id, is_control in zip(
            variants_meta["variant_id"], variants_meta["is_control"], strict=True
        )
        if is_control
    )
    first: str = controls[0] if controls else min(variants_meta["variant_id"])
    return first


def _rate(numerator: int | None, denominator: int) -> float | None:
    if numerator is None or denominator == 0:
        return None
    return numerator / denominator


def variant_rows(
    variants_meta: pl.DataFrame, counts: pl.DataFrame, *, has_goal: bool | None = None
) -> list[VariantRow]:
    """The report's `variants`: one row per variant, baseline first, then by variant_id.

    `variants_meta` is `data.queries.catalog.campaign_variants`; `counts` has one row per
    variant_id with users, messages_sent, impressions, opens, clicks, errors and
    converted_users (null when the campaign has no goal). A variant missing from `counts`
    gets zeros. `has_goal` says whether the campaign has a conversion goal; by default it
    is inferred (no goal when every counted row has a null converted_users), and without
    a goal converted_users, conversion_rate and every comparison field are None.
    Variant ids are ordered as Python strings (`iv10` before `iv2`), whatever the
    database's collation.
    """
    if variants_meta.height == 0:
        return []
    by_variant = {row["variant_id"]: row for row in counts.iter_rows(named=True)}
    if has_goal is None:
        converted = [row.get("converted_users") for row in by_variant.values()]
        has_goal = not converted or any(value is not None for value in converted)

    baseline = _baseline_id(variants_meta)
    rows: dict[str, VariantRow] = {}
    for meta in variants_meta.iter_rows(named=True):
        variant_id = meta["variant_id"]
        count = by_variant.get(variant_id, {})
        figures = {column: int(count.get(column) or 0) for column in COUNT_COLUMNS}
        converted_users = int(count.get("converted_users") or 0) if has_goal else None
        rows[variant_id] = VariantRow(
            variant_id=variant_id,
            name=meta["name"],
            is_control=bool(meta["is_control"]),
            is_baseline=variant_id == baseline,
            ctr=_rate(figures["clicks"], figures["impressions"]),
            converted_users=converted_users,
            conversion_rate=_rate(converted_users, figures["users"]),
            **figures,
        )

    base = rows[baseline]
    for variant_id, row in rows.items():
        if variant_id == baseline or row.converted_users is None or base.converted_users is None:
            continue
        comparison = compare_proportions(
            row.converted_users, row.users, base.converted_users, base.users
        )
        rows[variant_id] = row.model_copy(update=comparison.model_dump())
    return [rows[baseline]] + [rows[key] for key in sorted(rows) if key != baseline]
