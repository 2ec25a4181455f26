"""Change an imported campaign's name, goal or channel: the app itself never writes.

    python -m data.campaigns set CAMPAIGN_ID [--name NAME] [--conversion-event NAME]
        [--window-hours H] [--channel push|in_app|email|sms] [--db URL]

A vendor export says which messages went out, not what the campaign was for: its
conversion goal is set here once the import has created the campaign (an empty
`--conversion-event ""` removes the goal). Exit 0 when the campaign was changed, 2 for an
unknown campaign, a bad value or an unreachable database.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from data.contracts import CHANNELS
from data.database import create_writer_engine, resolve_database_url
from data.messages import first_line, shown_url
from data.schema import campaigns

EXIT_OK, EXIT_ERROR = 0, 2


class UnknownCampaignError(LookupError):
    """No campaigns row has this campaign_id."""


def set_campaign(connection: sa.Connection, campaign_id: str, **values: Any) -> None:
    """Set the given columns of one campaign; raises UnknownCampaignError if it is absent."""
    result = connection.execute(
        campaigns.update().where(campaigns.c.campaign_id == campaign_id).values(**values),
        execution_options={"preserve_rowcount": True},
    )
    if result.rowcount == 0:
        raise UnknownCampaignError(f"unknown campaign {campaign_id!r}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data.campaigns", description="Change an imported campaign."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    change = commands.add_parser("set", help="set a campaign's name, goal, window or channel")
    change.add_argument("campaign_id", metavar="CAMPAIGN_ID")
    change.add_argument("--name")
    change.add_argument(
        "--conversion-event",
        metavar="NAME",
        help='the conversions event_name that counts as converting ("" removes the goal)',
    )
    change.add_argument("--window-hours", type=int, metavar="H", help="the conversion window")
    change.add_argument("--channel", choices=CHANNELS)
    change.add_argument("--db", help="database URL (default: CAMPAIGN_DB_URL, secrets, DuckDB)")
    return parser


def _values(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if arguments.name is not None:
        if not arguments.name.strip():
            parser.error("--name must not be empty")
        values["name"] = arguments.name
    if arguments.conversion_event is not None:
        values["conversion_event"] = arguments.conversion_event or None
    if arguments.window_hours is not None:
        if arguments.window_hours < 0:
            parser.error("--window-hours must be 0 or more")
        values["conversion_window_hours"] = arguments.window_hours
    if arguments.channel is not None:
        values["channel"] = arguments.channel
    if not values:
        parser.error("nothing to set: give --name, --conversion-event, --window-hours or --channel")
    return values


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    values = _values(parser, arguments)
    url = resolve_database_url(arguments.db)
    engine = create_writer_engine(url)
    try:
        with engine.begin() as connection:
            set_campaign(connection, arguments.campaign_id, **values)
    except UnknownCampaignError as error:
        print(str(error), file=sys.stderr)
        return EXIT_ERROR
    except sa.exc.SQLAlchemyError as error:
        print(
            f"cannot change the database {shown_url(url)}: {first_line(error, url)}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    finally:
        engine.dispose()
    changed = ", ".join(f"{name} = {value!r}" for name, value in values.items())
    print(f"{arguments.campaign_id}: {changed}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
