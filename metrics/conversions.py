"""The glossary's Conversions figures, and the conversion columns of actions and variants.

A conversion counts when it falls in the range and inside the user's window
[anchor, anchor + conversion_window_hours], both ends inclusive, where the anchor is the
user's first receipt of the campaign (first `control` / `entered` event for a control
user) over all time. Treatment and control are counted apart so that the uplift compares
like with like. A campaign with no conversion goal has no conversion figures at all
(None), rather than zeros that would read as "nobody converted".
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict

from data.queries.user_pass import BITS_PER_MASK, Variant
from metrics.attribution import attributed_conversions, through_conversions
from metrics.rates import ratio
from metrics.report_model import ConversionFigures
from metrics.view_data import ViewData

KPI_KEYS: tuple[str, ...] = ("control_users", *ConversionFigures.model_fields)

ACTIONS_SCHEMA = pl.Schema(
    {
        "action_id": pl.String,
        "received_users": pl.Int64,
        "attributed_conversions": pl.Int64,
    }
)

VARIANTS_SCHEMA = pl.Schema(
    {
        "variant_id": pl.String,
        "users": pl.Int64,
        "converted_users": pl.Int64,
    }
)

DAILY_SCHEMA = pl.Schema(
    {
        "date": pl.Date,
        "conversions": pl.Int64,
    }
)


class ConversionResult(BaseModel):
    """Everything the conversions family contributes to a report.

    `kpis` holds exactly `KPI_KEYS`; `actions` (action_id, received_users,
    attributed_conversions), `variants` (variant_id, users, converted_users) and
    `daily_conversions` (date, conversions) are the conversion columns the report
    assembly joins into its per-action, per-variant and daily rows.
    `daily_control_conversions` (date, conversions) counts the control group's qualifying
    conversions the same way, so a control variant's trend line shows what its users did.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kpis: dict[str, int | float | None]
    actions: pl.DataFrame
    variants: pl.DataFrame
    daily_conversions: pl.DataFrame
    daily_control_conversions: pl.DataFrame


def conversion_kpis(
    totals: dict[str, int],
    conversion_rows: pl.DataFrame | None,
    *,
    with_control: bool = True,
) -> dict[str, int | float | None]:
    """The Conversions table's figures from user totals and qualifying conversion rows.

    `totals` has receivers, sent_users (the click-/view-through denominator) and
    control_users; `conversion_rows` is None when the campaign has no conversion goal,
    which makes every figure but control_users None. `with_control=False` (an action
    filter: the control group receives no action) makes the control group's figures None
    rather than a 0 that would read as "the control group never converted".
    """
    control_users = int(totals["control_users"])
    if conversion_rows is None:
        return {key: (control_users if key == "control_users" else None) for key in KPI_KEYS}
    treatment = conversion_rows.filter(~pl.col("is_control"))
    control = conversion_rows.filter(pl.col("is_control"))
    receivers = int(totals["receivers"])
    converted_users = int(treatment["user_id"].n_unique())
    control_converted: int | None = int(control["user_id"].n_unique())
    click_through, view_through = through_conversions(conversion_rows)
    sent_users = int(totals["sent_users"])
    if not with_control:
        control_converted = None
    return {
        "control_users": control_users,
        "receivers": receivers,
        "conversions": treatment.height,
        "converted_users": converted_users,
        "conversion_rate": ratio(converted_users, receivers),
        # Summed in sorted order: a float sum depends on its order, and the rows come back
        # from the database in any order (4519.629999999999 one run, 4519.63 the next).
        "revenue": float(treatment["revenue"].fill_null(0.0).sort().sum()),
        "click_through_conversions": click_through,
        "view_through_conversions": view_through,
        "click_through_conversion_rate": ratio(click_through, sent_users),
        "view_through_conversion_rate": ratio(view_through, sent_users),
        "control_converted_users": control_converted,
        "control_conversion_rate": (
            None if control_converted is None else ratio(control_converted, control_users)
        ),
    }


def action_table(
    catalog: pl.DataFrame,
    receivers: pl.DataFrame,
    conversion_rows: pl.DataFrame | None,
) -> pl.DataFrame:
    """One row per action of C (flow order) plus any other action seen, zeros included.

    `attributed_conversions` is null for every action when there is no conversion goal.
    """
    attributed = (
        attributed_conversions(conversion_rows)
        if conversion_rows is not None
        else pl.DataFrame(schema={"action_id": pl.String, "attributed_conversions": pl.Int64})
    )
    listed = catalog["action_id"].to_list()
    seen = set(receivers["action_id"].to_list()) | set(attributed["action_id"].to_list())
    ordered = listed + sorted(seen - set(listed))
    table = (
        pl.DataFrame({"action_id": ordered}, schema={"action_id": pl.String})
        .join(receivers, on="action_id", how="left", maintain_order="left")
        .join(attributed, on="action_id", how="left", maintain_order="left")
        .with_columns(pl.col("received_users").fill_null(0))
    )
    if conversion_rows is None:
        table = table.with_columns(pl.lit(None, dtype=pl.Int64).alias("attributed_conversions"))
    else:
        table = table.with_columns(pl.col("attributed_conversions").fill_null(0))
    return table.select(list(ACTIONS_SCHEMA)).cast(ACTIONS_SCHEMA)


def variant_table(catalog: pl.DataFrame, counted: pl.DataFrame, has_goal: bool) -> pl.DataFrame:
    """One row per variant of C (variant_id order) plus any other variant seen in events.

    Variants nobody reached get 0 users (and 0 converted users when there is a goal).
    """
    listed = catalog["variant_id"].to_list()
    ordered = listed + sorted(set(counted["variant_id"].to_list()) - set(listed))
    table = (
        pl.DataFrame({"variant_id": ordered}, schema={"variant_id": pl.String})
        .join(counted, on="variant_id", how="left", maintain_order="left")
        .with_columns(pl.col("users").fill_null(0))
    )
    converted = pl.col("converted_users").fill_null(0) if has_goal else pl.lit(None)
    return (
        table.with_columns(converted.cast(pl.Int64).alias("converted_users"))
        .select(list(VARIANTS_SCHEMA))
        .cast(VARIANTS_SCHEMA)
    )


def daily_conversions(
    conversion_rows: pl.DataFrame | None, tz: str, *, control: bool = False
) -> pl.DataFrame:
    """Qualifying conversions per local date in `tz` (only days that have some).

    Treatment users' conversions by default (the `conversions` figure); `control=True`
    counts the control group's instead.
    """
    if conversion_rows is None:
        return pl.DataFrame(schema=DAILY_SCHEMA)
    return (
        conversion_rows.filter(pl.col("is_control") == control)
        .group_by(pl.col("occurred_at").dt.convert_time_zone(tz).dt.date().alias("date"))
        .agg(pl.len().alias("conversions"))
        .sort("date")
        .cast(DAILY_SCHEMA)
    )


def converted_by_variant(
    conversion_rows: pl.DataFrame | None, variants: list[Variant]
) -> pl.DataFrame:
    """Per variant: its users who converted (treatment side), or control users who did
    (control variant). Columns variant_id, converted_users; null without a goal.

    A user's variants are the bit masks on their conversion rows (see
    `data.queries.conversions.per_user`): receipt events for a treatment variant, entry
    events for a control one, in range.
    """
    if conversion_rows is None:
        converted: list[int | None] = [None] * len(variants)
    else:
        converters = conversion_rows.unique("user_id")
        converted = []
        for index, variant in enumerate(variants):
            chunk, bit = divmod(index, BITS_PER_MASK)
            kind = "entry" if variant.is_control else "receipt"
            member = (pl.col(f"v_{kind}{chunk}") & (1 << bit)) != 0
            side = pl.col("is_control") if variant.is_control else ~pl.col("is_control")
            converted.append(converters.filter(member & side).height)
    return pl.DataFrame(
        {"variant_id": [variant.variant_id for variant in variants], "converted_users": converted},
        schema={"variant_id": pl.String, "converted_users": pl.Int64},
    )


def conversion_result(view: ViewData, tz: str) -> ConversionResult:
    """Every conversion figure of a view, from its reads (no I/O)."""
    rows = view.conversion_rows
    has_goal = view.campaign.conversion_event is not None
    counted = view.users.variants.select("variant_id", "users").join(
        converted_by_variant(rows, view.variants), on="variant_id", how="left"
    )
    return ConversionResult(
        kpis=conversion_kpis(view.users.totals, rows, with_control=view.action is None),
        actions=action_table(view.catalog_actions, view.users.actions, rows),
        variants=variant_table(view.catalog_variants, counted, has_goal),
        daily_conversions=daily_conversions(rows, tz),
        daily_control_conversions=daily_conversions(rows, tz, control=True),
    )
