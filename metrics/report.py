"""The campaign report: every figure of the glossary for one scope, and its CLI.

`build_report` is what the app's pages and `python -m metrics.report` both call, so the
screen and the JSON can never disagree. It runs a fixed handful of reductions (totals,
series, breakdowns), each bounded by buckets x dimensions, then assembles them with the
pure functions of each family.

    python -m metrics.report push_black_friday --tz Europe/Paris --granularity week
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import polars as pl
import sqlalchemy as sa

from data.database import QueryTimeoutError, create_reader_engine, resolve_database_url
from data.messages import first_line, shown_url
from data.queries.breakdowns import link_counts, platform_device_counts, run_counts
from data.queries.catalog import data_as_of, get_campaign, newest_campaign_event
from data.queries.events import impression_users
from data.queries.sessions import load_session_buckets
from data.queries.user_pass import RECEIPT_MASK, TYPE_BITS
from data.scope import Scope, default_range, zone_named
from data.vocabulary import GRANULARITIES, Granularity
from metrics.attribution import revenue_by_bucket
from metrics.conversions import ConversionResult, conversion_result
from metrics.delivery import delivery_figures
from metrics.engagement import engagement_figures
from metrics.experiments import srm_p_value, uplift, variant_rows
from metrics.funnel import funnel_frame, funnel_steps
from metrics.open_times import open_time_rows, punch_card_rows
from metrics.report_model import (
    ActionRow,
    CampaignInfo,
    CampaignReport,
    ConversionFigures,
    DailyRow,
    FunnelRow,
    Kpis,
    RangeInfo,
    RevenueRow,
    SessionsSummary,
    VariantRow,
)
from metrics.runs import link_rows, run_rows
from metrics.series import bucket_starts, report_series
from metrics.sessions import campaign_session_windows, summarize_sessions
from metrics.splits import (
    device_rows,
    entered_by_variant,
    platform_rows,
    variant_counts_table,
    variant_event_counts,
)
from metrics.view_data import ViewData, read_view

CONVERSION_KEYS: tuple[str, ...] = tuple(ConversionFigures.model_fields)


class UnknownCampaignError(LookupError):
    """No campaigns row has this campaign_id."""

    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"unknown campaign {campaign_id!r}")
        self.campaign_id = campaign_id


def campaign_info(connection: sa.Connection, campaign_id: str) -> CampaignInfo:
    """The campaigns row of `campaign_id`; UnknownCampaignError if there is none."""
    row = get_campaign(connection, campaign_id)
    if row is None:
        raise UnknownCampaignError(campaign_id)
    return CampaignInfo.model_validate(row)


def default_scope(
    connection: sa.Connection, campaign_id: str, tz: str = "UTC", **filters: Any
) -> Scope:
    """The glossary's default range in zone `tz`, with the given filters.

    From the local date of C.started_at to the local date of C's newest message event
    (any user, test users included, whatever the filters); start..start when C has no
    events yet (or only events before its start).
    """
    campaign = campaign_info(connection, campaign_id)
    newest = newest_campaign_event(connection, campaign_id)
    start, end = default_range(campaign.started_at, newest, tz)
    return Scope(campaign_id=campaign_id, start=start, end=end, tz=tz, **filters)


def build_report(
    connection: sa.Connection,
    scope: Scope,
    granularity: Granularity = "day",
    unfiltered: CampaignReport | None = None,
) -> CampaignReport:
    """Every figure of the glossary for `scope`, as the report contract's models.

    Three passes over the campaign's events (`metrics.view_data`), then one small
    statement each for the unique impressions per bucket, runs, links, platforms and
    devices, and sessions; everything else is Polars over their results.

    Under a variant filter the variant table and the sample-ratio check are those of the
    scope without the filter (they compare every variant): `unfiltered`, that scope's
    report at this granularity, gives them as they are instead of a second read of the
    view, which doubled the cost of such a view (the app keeps the unfiltered report).
    """
    campaign = campaign_info(connection, scope.campaign_id)
    view = read_view(connection, scope, campaign, granularity)
    conversions = conversion_result(view, scope.tz)
    has_goal = campaign.conversion_event is not None
    series = report_series(
        view,
        impression_users(connection, scope, granularity),
        bucket_starts(scope, granularity),
        granularity,
        daily_conversions=conversions.daily_conversions if has_goal else None,
    )
    if scope.variant is not None and unfiltered is not None:
        _check_unfiltered(unfiltered, scope, granularity)
        variants, srm = unfiltered.variants, unfiltered.srm_p_value
    else:
        variants, srm = _experiment(connection, scope, granularity, view, conversions)
    devices = platform_device_counts(connection, scope)
    opens_by_hour = view.counts.opens_by_hour()
    return CampaignReport(
        campaign=campaign,
        range=RangeInfo(start=scope.start, end=scope.end, tz=scope.tz),
        granularity=granularity,
        data_as_of=data_as_of(connection),
        kpis=_kpis(view, conversions.kpis),
        variants=variants,
        srm_p_value=srm,
        actions=_action_rows(view, conversions),
        runs=run_rows(run_counts(connection, scope), has_delivered=view.has_delivered),
        links=link_rows(link_counts(connection, scope)),
        platforms=platform_rows(devices),
        devices=device_rows(devices),
        daily=[DailyRow.model_validate(row) for row in series.iter_rows(named=True)],
        open_times=open_time_rows(opens_by_hour),
        open_punch_card=punch_card_rows(opens_by_hour),
        sessions=sessions_report(connection, scope, campaign),
        funnel=_funnel_rows(view),
        revenue_series=[
            RevenueRow.model_validate(row)
            for row in revenue_by_bucket(
                view.conversion_rows, scope.tz, granularity, bucket_starts(scope, granularity)
            ).iter_rows(named=True)
        ]
        if view.conversion_rows is not None
        else [],
    )


def _experiment(
    connection: sa.Connection,
    scope: Scope,
    granularity: Granularity,
    view: ViewData,
    conversions: ConversionResult,
) -> tuple[list[VariantRow], float | None]:
    """The variant table and the sample-ratio check's p-value of the view's campaign."""
    experiment, experiment_conversions = view, conversions
    if scope.variant is not None:
        # The variant table and the sample-ratio check always compare every variant: a
        # variant filter narrows the other figures, never the experiment (glossary). One
        # more read of the view without it, only when the filter is on.
        experiment = read_view(
            connection, scope.model_copy(update={"variant": None}), view.campaign, granularity
        )
        experiment_conversions = conversion_result(experiment, scope.tz)
    variant_events = variant_event_counts(experiment)
    allocations = dict(
        zip(
            view.catalog_variants["variant_id"].to_list(),
            view.catalog_variants["allocation"].to_list(),
            strict=True,
        )
    )
    rows = variant_rows(
        view.catalog_variants,
        variant_counts_table(variant_events, experiment_conversions.variants),
        has_goal=view.campaign.conversion_event is not None,
    )
    return rows, srm_p_value(entered_by_variant(variant_events), allocations)


def _check_unfiltered(unfiltered: CampaignReport, scope: Scope, granularity: Granularity) -> None:
    """Refuse a report of another campaign, range or granularity as the unfiltered one."""
    same = (
        unfiltered.campaign.campaign_id == scope.campaign_id
        and unfiltered.range == RangeInfo(start=scope.start, end=scope.end, tz=scope.tz)
        and unfiltered.granularity == granularity
    )
    if not same:
        raise ValueError("`unfiltered` is not the report of this scope without its variant")


def _funnel_rows(view: ViewData) -> list[FunnelRow]:
    """The funnel in users of the view: the user pass's steps, then its converters."""
    steps = funnel_steps(view.campaign.channel, view.has_delivered)
    users = view.users.funnel
    if users is None or users.height != len(steps):
        return []
    entered = TYPE_BITS["entered"] if view.action is None else RECEIPT_MASK
    frame = funnel_frame(users, steps, view.conversion_rows, entered)
    return [FunnelRow.model_validate(row) for row in frame.iter_rows(named=True)]


def campaign_kpis(connection: sa.Connection, scope: Scope) -> Kpis:
    """Only the `kpis` of the report, for a list of campaigns.

    The same passes and functions as `build_report`'s `kpis`, without the series, splits
    and sessions, so the Campaigns page shows the very same numbers.
    """
    campaign = campaign_info(connection, scope.campaign_id)
    view = read_view(connection, scope, campaign, "day")
    return _kpis(view, conversion_result(view, scope.tz).kpis)


def conversion_report(
    connection: sa.Connection, scope: Scope, campaign: CampaignInfo
) -> ConversionResult:
    """Every conversion figure of `campaign` over `scope` (the view's three passes)."""
    return conversion_result(read_view(connection, scope, campaign, "day"), scope.tz)


def sessions_report(
    connection: sa.Connection, scope: Scope, campaign: CampaignInfo
) -> SessionsSummary:
    """Sessions before and during `campaign` for its entered users, over `scope`: one read
    of the session buckets over the windows, summarized by `metrics.sessions`."""
    windows = campaign_session_windows(campaign, scope.range_end_utc)
    buckets = load_session_buckets(connection, scope, *windows)
    return summarize_sessions(buckets, *windows, scope.tz)


def _kpis(view: ViewData, conversion_figures: dict[str, int | float | None]) -> Kpis:
    """Delivery, engagement and conversion figures, with the uplift, as one flat model."""
    totals = view.counts.totals() | view.users.totals
    delivery = delivery_figures(
        totals, view.counts.errors_by_code(), has_delivered=view.has_delivered
    )
    engagement = engagement_figures(totals, recipients=delivery.recipients)
    if view.action is not None:
        # No `entered` event carries an action: entries count the users of C (glossary).
        delivery = delivery.model_copy(update={"entries": delivery.audience_size})
    return Kpis(
        **delivery.model_dump(),
        **engagement.model_dump(),
        **_conversion_kpis(conversion_figures),
    )


def _conversion_kpis(figures: dict[str, int | float | None]) -> dict[str, Any]:
    """The Conversions keys of `kpis` (null without a goal) and control_users, with uplift."""
    kpis: dict[str, Any] = {key: figures.get(key) for key in CONVERSION_KEYS}
    control_users = int(figures.get("control_users") or 0)
    kpis["control_users"] = control_users
    kpis |= uplift(
        kpis["converted_users"], kpis["receivers"], kpis["control_converted_users"], control_users
    )
    return kpis


def _action_rows(view: ViewData, conversions: ConversionResult) -> list[ActionRow]:
    """Every action of C in flow order, zeros included: received users and attributed
    conversions (null without a goal) from the conversions figures, clicks from the counts.
    """
    actions = view.catalog_actions.select("action_id", "name", "position")
    received = conversions.actions.select(
        pl.col("action_id").cast(pl.String),
        pl.col("received_users").cast(pl.Int64),
        pl.col("attributed_conversions").cast(pl.Int64),
    )
    clicks = (
        view.counts.by_day()
        .filter(pl.col("action_id").is_not_null())
        .group_by("action_id")
        .agg(pl.col("clicked").sum().alias("clicks"))
    )
    frame = (
        actions.join(received, on="action_id", how="left", maintain_order="left")
        .join(clicks, on="action_id", how="left", maintain_order="left")
        .with_columns(pl.col("received_users", "clicks").fill_null(0))
    )
    return [ActionRow.model_validate(row) for row in frame.iter_rows(named=True)]


class CommandLineError(Exception):
    """A bad flag or value: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CommandLineError(message)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"bad date {text!r}: use YYYY-MM-DD") from error


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m metrics.report",
        description="Print every figure of one campaign as one JSON object.",
    )
    parser.add_argument("campaign_id")
    parser.add_argument("--start", type=_date, help="first local date (default: campaign start)")
    parser.add_argument("--end", type=_date, help="last local date (default: newest event)")
    parser.add_argument("--tz", default="UTC", help="IANA time zone of the dates (default UTC)")
    parser.add_argument("--exclude-test-users", action="store_true")
    parser.add_argument(
        "--exclude-machine", action="store_true", help="drop automated opens/clicks"
    )
    parser.add_argument("--variant", help="read the campaign through one variant_id")
    parser.add_argument("--action", help="read the campaign through one action_id")
    parser.add_argument("--db", help="database URL (default: CAMPAIGN_DB_URL, secrets, DuckDB)")
    parser.add_argument("--granularity", choices=GRANULARITIES, default="day")
    return parser


def _scope_from_arguments(connection: sa.Connection, args: argparse.Namespace) -> Scope:
    default = default_scope(
        connection,
        args.campaign_id,
        args.tz,
        exclude_test_users=args.exclude_test_users,
        exclude_machine=args.exclude_machine,
        variant=args.variant,
        action=args.action,
    )
    start = args.start or default.start
    end = args.end or default.end
    if end < start:
        raise CommandLineError(
            f"the end date {end.isoformat()} is before the start date {start.isoformat()}"
        )
    return default.model_copy(update={"start": start, "end": end})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the report CLI; returns the exit status (0, or 2 with one line on stderr)."""
    try:
        args = _parser().parse_args(argv)
        zone_named(args.tz)
    except (CommandLineError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    url = resolve_database_url(args.db)
    shown = shown_url(url)
    try:
        engine = create_reader_engine(url)
    except (sa.exc.ArgumentError, ImportError) as error:
        print(f"error: bad database URL {shown}: {first_line(error, url)}", file=sys.stderr)
        return 2
    try:
        try:
            connection = engine.connect()
        except Exception as error:  # drivers raise their own types for a missing server/file
            print(
                f"error: cannot open the database {shown}: {first_line(error, url)}",
                file=sys.stderr,
            )
            return 2
        with connection:
            scope = _scope_from_arguments(connection, args)
            report = build_report(connection, scope, args.granularity)
    except (UnknownCampaignError, CommandLineError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (sa.exc.DBAPIError, QueryTimeoutError) as error:
        print(f"error: cannot read the database {shown}: {first_line(error, url)}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    return 0


def run_as_command() -> NoReturn:
    """`python -m metrics.report`: `main` in a process that lives for one report.

    Two costs of a long-lived interpreter buy such a process nothing, so it skips them.
    Measured on the 10M demo, alternating runs on the 2-core machine (medians of 10):
    3.01 s with both, 2.92 s without the cyclic garbage collector, 2.79 s without the
    interpreter's teardown, 2.71 s without either.
    - The garbage collector walks every tracked object again and again while SQLAlchemy,
      Polars and pydantic build their objects; the process frees everything at exit anyway.
    - The teardown unloads Polars, SQLAlchemy, pydantic and DuckDB module by module and
      closes the database, and nobody waits for it: the JSON is already written.
    So the output is flushed and the process ends with `os._exit`. Tests call `main`.
    """
    gc.disable()
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run_as_command()
