"""The app's only door to the database: one engine per process, report data cached a minute.

The engine is read-only (DuckDB `read_only`, PostgreSQL `default_transaction_read_only`)
and pings before use, so the app recovers by itself when the database comes back. Report
data is cached with a 60-second TTL keyed by the scope's plain fields (campaign, dates,
zone, flags, granularity), never by a frame: flipping back to a range already seen is
instant, and new events show up within a minute.

A database that is down surfaces as `DatabaseUnavailableError` with a readable reason; the
app shows it as a banner with a Retry button instead of a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import polars as pl
import sqlalchemy as sa
import streamlit as st

from data.database import (
    DEFAULT_DATABASE_URL,
    QueryTimeoutError,
    create_reader_engine,
    duckdb_file,
    resolve_database_url,
)
from data.messages import first_line
from data.queries import catalog
from data.queries.audience import EXPORT_ROW_CAP, segment_query, write_segment_csv
from data.queries.campaign_summary import campaign_summary
from data.scope import Scope
from data.vocabulary import Granularity, Split, split_column
from metrics.campaign_summary import summary_figures
from metrics.explore_data import explore_series
from metrics.report import build_report
from metrics.report_model import CampaignReport
from ui.url_state import ViewState

P = ParamSpec("P")
R = TypeVar("R")
TTL_SECONDS = 60
# Bounds on each cache, so memory stays flat however many sessions and ranges a day
# brings: a handful of URLs, a few hundred campaigns, the last few hundred scopes.
FEW, CAMPAIGN_ENTRIES, SCOPE_ENTRIES = 4, 512, 256


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be reached or read; the message says why, in one line."""


class QueryTimedOutError(DatabaseUnavailableError):
    """A query ran past `CAMPAIGN_QUERY_TIMEOUT_SECONDS` and was stopped."""


def database_url() -> str:
    """The URL the app reads: `CAMPAIGN_DB_URL`, then secrets, then the embedded demo file."""
    return resolve_database_url()


def is_default_database(url: str) -> bool:
    return url == DEFAULT_DATABASE_URL


@st.cache_resource(max_entries=FEW, show_spinner=False)
def reader_engine(url: str) -> sa.Engine:
    """One read-only engine per process and URL (SQLAlchemy pools the connections)."""
    return create_reader_engine(url)


def _read(url: str, work: Callable[[sa.Connection], R]) -> R:
    """Run `work` on a pooled connection; any driver failure becomes DatabaseUnavailableError.

    A DuckDB file allows one writer process or any number of readers, never both; a
    pooled read-only connection would lock the importer out for as long as the app runs.
    So for a DuckDB file the pool is emptied after each read (reads are cached a minute,
    so reconnecting is rare and cheap), and new events can be loaded while the app runs.
    """
    engine = reader_engine(url)
    try:
        with engine.connect() as connection:
            return work(connection)
    except QueryTimeoutError as error:
        raise QueryTimedOutError(str(error)) from error
    except sa.exc.DBAPIError as error:
        raise DatabaseUnavailableError(first_line(error, url)) from error
    except sa.exc.SQLAlchemyError as error:
        raise DatabaseUnavailableError(first_line(error, url)) from error
    except OSError as error:
        raise DatabaseUnavailableError(first_line(error, url)) from error
    except Exception as error:
        # DuckDB raises its own types (IOException, CatalogException) for a missing or
        # locked file; they are not DBAPIError when raised at connect time. ClickHouse's
        # driver raises its own DatabaseException (a shard down: "All connection tries
        # failed"): `data.dialect` makes it an OperationalError on every statement, and
        # this catches one raised outside a statement (the driver called directly).
        if type(error).__module__.startswith(
            ("duckdb", "_duckdb", "psycopg", "clickhouse_sqlalchemy")
        ):
            raise DatabaseUnavailableError(first_line(error, url)) from error
        raise
    finally:
        if duckdb_file(url) is not None:
            # Connections other sessions still use stay open until they are returned.
            engine.dispose()


def reset_connections(url: str) -> None:
    """Drop pooled connections and cached data: the Retry button after an outage."""
    # Disposing a broken pool must not fail the retry.
    with contextlib.suppress(Exception):
        reader_engine(url).dispose()
    st.cache_data.clear()
    st.cache_resource.clear()


@st.cache_data(ttl=TTL_SECONDS, max_entries=FEW, show_spinner=False)
def campaigns(url: str) -> pl.DataFrame:
    """Every campaign with its first and newest event time (data.queries.catalog.list_campaigns)."""
    return _read(url, catalog.list_campaigns)


@st.cache_data(ttl=TTL_SECONDS, max_entries=FEW, show_spinner=False)
def data_as_of(url: str) -> dt.datetime | None:
    """The newest event in the database: shown as "Data as of"."""
    return _read(url, catalog.data_as_of)


@st.cache_data(ttl=TTL_SECONDS, max_entries=CAMPAIGN_ENTRIES, show_spinner=False)
def variants(url: str, campaign_id: str) -> pl.DataFrame:
    return _read(url, lambda connection: catalog.campaign_variants(connection, campaign_id))


@st.cache_data(ttl=TTL_SECONDS, max_entries=CAMPAIGN_ENTRIES, show_spinner=False)
def actions(url: str, campaign_id: str) -> pl.DataFrame:
    return _read(url, lambda connection: catalog.campaign_actions(connection, campaign_id))


@st.cache_resource(ttl=TTL_SECONDS, max_entries=SCOPE_ENTRIES, show_spinner=False)
def _report(url: str, scope_key: str, gran: Granularity) -> CampaignReport:
    """Cached by the scope's JSON (campaign, dates, zone, flags) and granularity.

    A resource cache, shared by every session as the one object it is: `cache_data`
    would unpickle a copy of the whole report (days x hours of open times included) on
    every rerun of every page. Pages only read it.

    Under a variant filter the variant table is the unfiltered view's: that report comes
    from this cache (usually there already, as readers filter a view they have open) instead
    of a second read of the view inside this one.
    """
    scope = Scope.model_validate_json(scope_key)
    unfiltered = None
    if scope.variant is not None:
        without_variant = scope.model_copy(update={"variant": None})
        unfiltered = _report(url, without_variant.model_dump_json(), gran)
    return _read(url, lambda connection: build_report(connection, scope, gran, unfiltered))


def report(url: str, view: ViewState, gran: Granularity | None = None) -> CampaignReport:
    """Every figure of the glossary for the view (cached a minute per scope)."""
    return _report(url, view.to_scope().model_dump_json(), gran or view.gran)


@st.cache_data(ttl=TTL_SECONDS, max_entries=SCOPE_ENTRIES, show_spinner=False)
def campaigns_summary(url: str, tz: str, test: bool, machine: bool) -> pl.DataFrame:
    """Every campaign over its default range with the Campaigns page's figures, from one
    summary statement (data.queries.campaign_summary), cached a minute per zone and flags.

    Each row equals `metrics.report.campaign_kpis` over that campaign's default range;
    with 1,000 campaigns it is one statement instead of a report's passes per campaign.
    """
    return _read(
        url,
        lambda connection: summary_figures(
            campaign_summary(connection, tz, exclude_test_users=test, exclude_machine=machine)
        ),
    )


@st.cache_data(ttl=TTL_SECONDS, max_entries=SCOPE_ENTRIES, show_spinner=False)
def _series(
    url: str, scope_key: str, figure: str, split: Split | None, gran: Granularity
) -> pl.DataFrame:
    """Cached by the scope's JSON, the figure, the split and the granularity."""
    scope = Scope.model_validate_json(scope_key)
    return _read(
        url,
        lambda connection: explore_series(connection, scope, figure, split_column(split), gran),
    )


def series(url: str, view: ViewState, figure: str, split: Split | None) -> pl.DataFrame:
    """One figure over time for the view (date, split, value), cached a minute."""
    return _series(url, view.to_scope().model_dump_json(), figure, split, view.gran)


def segment_csv(url: str, view: ViewState, action_id: str | None = None) -> Callable[[], bytes]:
    """A deferred CSV of the segment's user ids, built only when the user clicks download."""
    scope = view.to_scope()

    def build() -> bytes:
        query = segment_query(scope, action_id=action_id)
        out = io.StringIO()
        _read(
            url,
            lambda connection: write_segment_csv(connection, query, out, limit=EXPORT_ROW_CAP),
        )
        return out.getvalue().encode("utf-8")

    return build
