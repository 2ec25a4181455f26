"""Who may see the campaigns, and where a shared link was headed before sign-in: pure rules.

Sign-in itself is Streamlit's (`ui.auth`); what it proves is an e-mail address. Whether
that address is let in is decided here, from the `[access]` section of the secrets, so the
rule can be read and tested without a browser or a provider:

- an address is in when it is listed in `allowed_emails`, or its domain (the part after
  the `@`, exactly: `example.com` does not let in `mail.example.com`) is listed in
  `allowed_domains`; comparison ignores case and surrounding spaces;
- a provider that says the address is not verified (`email_verified = false`) is not
  trusted with it;
- no allow-list at all lets nobody in: a sign-in with a public provider must never open
  every campaign to anyone with an account there.

The provider's callback always returns to the app's bare root, so a shared link's page and
query string travel through sign-in in a short-lived cookie. Its value comes back from the
browser, so it is read as hostile input: only a known page and the view's own parameters,
each of bounded length, survive; everything else is dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

from ui.url_state import PARAM_ORDER

MAX_LINK_LENGTH = 4096
MAX_VALUE_LENGTH = 200


def _normalized(values: object) -> set[str]:
    """An allow-list's entries from the secrets (any TOML value), trimmed and lower-cased;
    a lone string is one entry."""
    if values is None:
        return set()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        raise TypeError(f"an [access] allow-list must be a list of strings, not {values!r}")
    return {str(value).strip().lower() for value in values if str(value).strip()}


def is_allowed(
    email: str | None,
    access: Mapping[str, object],
    email_verified: object = None,
) -> bool:
    """Whether the signed-in `email` may see the data, by the `[access]` allow-list.

    >>> access = {"allowed_emails": ["pm@partner.org"], "allowed_domains": ["example.com"]}
    >>> is_allowed("Ana@Example.com", access), is_allowed("pm@partner.org", access)
    (True, True)
    >>> is_allowed("eve@mail.example.com", access), is_allowed("eve@partner.org", access)
    (False, False)
    >>> is_allowed("ana@example.com", {}), is_allowed("ana@example.com", access, False)
    (False, False)
    """
    if not email or email_verified is False:
        return False
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "@" in local or any(c.isspace() for c in address):
        return False
    emails = _normalized(access.get("allowed_emails"))
    domains = {name.lstrip("@") for name in _normalized(access.get("allowed_domains"))}
    return address in emails or domain in domains


def return_target(
    cookie_value: str | None, page_paths: Collection[str]
) -> tuple[str, dict[str, str]] | None:
    """The page (its url path, "" for the default) and view parameters a link asked for.

    `cookie_value` is the URL-encoded `path?query` the sign-in page saw. Anything that is
    not a plain path on this app (another host, `//evil`, a backslash), or too long, gives
    None. An unknown page falls back to the default one; unknown or repeated parameters
    and over-long values are dropped (the app validates the rest as for any link).

    >>> return_target("%2Foverview%3Fcampaign%3Dpush%26tz%3DUTC%26x%3D1", {"overview"})
    ('overview', {'campaign': 'push', 'tz': 'UTC'})
    >>> return_target("https://evil.example/overview?campaign=push", {"overview"}) is None
    True
    """
    if not cookie_value or len(cookie_value) > MAX_LINK_LENGTH:
        return None
    link = unquote(cookie_value)
    if (
        not link.startswith("/")
        or link.startswith("//")
        or "\\" in link
        or "\x00" in link
        or len(link) > MAX_LINK_LENGTH
    ):
        return None
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return None
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    page = last if last in page_paths else ""
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, max_num_fields=len(PARAM_ORDER) * 4):
        if key in PARAM_ORDER and len(value) <= MAX_VALUE_LENGTH and "\x00" not in value:
            params[key] = value
    return page, params
