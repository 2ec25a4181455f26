"""Who is let in, and which link survives sign-in: the pure rules of ui.access."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from ui.access import is_allowed, return_target

ACCESS = {"allowed_emails": ["PM@Partner.org "], "allowed_domains": ["example.com", "@team.io"]}
PAGES = {"campaigns", "overview", "engagement"}


@pytest.mark.parametrize(
    "email",
    ["ana@example.com", "ANA@EXAMPLE.COM", " ana@example.com ", "pm@partner.org", "x@team.io"],
)
def test_listed_addresses_and_domains_are_let_in_whatever_the_case(email: str) -> None:
    assert is_allowed(email, ACCESS) is True


@pytest.mark.parametrize(
    "email",
    [
        None,
        "",
        "eve@partner.org",
        "eve@mail.example.com",
        "eve@example.com.evil.org",
        "example.com",
        "@example.com",
        "eve@evil.org@example.com",
        "eve @example.com",
        "eve@example.com\x00",
        "pm@partner.org; DROP TABLE users",
    ],
)
def test_anyone_else_is_kept_out(email: str | None) -> None:
    assert is_allowed(email, ACCESS) is False


def test_without_an_allow_list_nobody_is_let_in() -> None:
    assert is_allowed("ana@example.com", {}) is False
    assert is_allowed("ana@example.com", {"allowed_emails": [], "allowed_domains": []}) is False


def test_an_address_the_provider_did_not_verify_is_not_trusted() -> None:
    assert is_allowed("ana@example.com", ACCESS, email_verified=False) is False
    assert is_allowed("ana@example.com", ACCESS, email_verified=True) is True


def test_a_single_string_is_read_as_a_one_item_list() -> None:
    assert is_allowed("ana@example.com", {"allowed_domains": "example.com"}) is True


def test_a_remembered_link_gives_its_page_and_the_views_parameters_only() -> None:
    stored = "%2Foverview%3Fcampaign%3Dpush_bf%26start%3D2026-11-05%26tz%3DAsia%252FTokyo%26utm%3Dx"
    assert return_target(stored, PAGES) == (
        "overview",
        {"campaign": "push_bf", "start": "2026-11-05", "tz": "Asia/Tokyo"},
    )
    assert return_target("/", PAGES) == ("", {})
    assert return_target("/app/engagement/?gran=week", PAGES) == ("engagement", {"gran": "week"})
    assert return_target("/unknown?campaign=a", PAGES) == ("", {"campaign": "a"})


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "https://evil.example/overview?campaign=a",
        "//evil.example/overview",
        "%2F%2Fevil.example%2Foverview",
        "/\\evil.example",
        "overview?campaign=a",
        "javascript:alert(1)",
        "/overview?campaign=a\x00",
        "/overview?campaign=" + "a" * 5000,
    ],
)
def test_a_link_to_elsewhere_or_a_broken_one_is_ignored(stored: str | None) -> None:
    assert return_target(stored, PAGES) is None


def test_hostile_values_are_dropped_or_kept_as_plain_text_for_the_views_checks() -> None:
    link = "/overview?campaign=x%27%3B%20DROP%20TABLE%20users%3B--&variant=%00&tz=" + "Z" * 300
    # the cookie holds the link as the browser's encodeURIComponent wrote it
    assert return_target(quote(link, safe=""), PAGES) == (
        "overview",
        {"campaign": "x'; DROP TABLE users;--"},
    )
