"""How every command and the app speak of a database and of an error: in one line, never
with a password.

A database URL may carry a password (`postgresql://reader:pw@host/db`), and a command's
output ends up in terminals, CI logs and bug reports; so the commands (import, demo,
report, schema, campaigns) and the app's banner show a URL only through `shown_url`,
and a driver's error only through `first_line`. One helper each: the importer once
printed the URL whole while two other places hid it.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

HIDDEN = "***"
"""What a password reads as, as SQLAlchemy renders it."""

_USER_INFO = re.compile(r"(//[^/:@\s]*:)[^@\s]*@")
"""The `user:password@` part of a URL that SQLAlchemy cannot parse."""


def shown_url(url: str) -> str:
    """`url` as it may be printed: its password, if any, replaced by `***`.

    A URL SQLAlchemy cannot parse is still shown without what looks like a password.

    >>> shown_url("postgresql+psycopg://reader:S3cret@db.internal:5432/campaigns")
    'postgresql+psycopg://reader:***@db.internal:5432/campaigns'
    >>> shown_url("duckdb:///data/campaigns.duckdb")
    'duckdb:///data/campaigns.duckdb'
    """
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return _USER_INFO.sub(rf"\g<1>{HIDDEN}@", url)


def first_line(error: BaseException, url: str | None = None) -> str:
    """The first non-blank line of an error's message: a driver's reason without its hints,
    its SQL or SQLAlchemy's "Background on this error" link; the error's type if it says
    nothing. A wrapped DB-API error (`error.orig`) speaks for itself.

    With `url`, its password is hidden from the line too, in case a driver echoes it.

    >>> first_line(ValueError("connection refused\\n\\tIs the server running?"))
    'connection refused'
    >>> first_line(RuntimeError("no password for u:pw"), "postgresql://u:pw@host/db")
    'no password for u:***'
    """
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    line = lines[0] if lines else type(original).__name__
    password = _password(url) if url else None
    return line.replace(password, HIDDEN) if password else line


def _password(url: str) -> str | None:
    try:
        return sa.make_url(url).password or None
    except (sa.exc.ArgumentError, ValueError):
        match = re.search(r"//[^/:@\s]*:([^@\s]*)@", url)
        return match.group(1) if match and match.group(1) else None
