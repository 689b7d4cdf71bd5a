"""Session deadlines, site resolution and masking: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from entryway.core.masking import mask_email, mask_phone
from entryway.core.outbox import retry_delay, should_give_up
from entryway.core.sessions import SessionPolicy, is_live
from entryway.core.sites import Site, SiteDirectory
from entryway.core.throttle import window_start

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_session_idle_and_absolute_deadlines() -> None:
    policy = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    idle, absolute = policy.deadlines(NOW, remember=False)
    assert (idle - NOW, absolute - NOW) == (timedelta(minutes=30), timedelta(hours=12))
    assert is_live(NOW + timedelta(minutes=29), idle, absolute)
    assert not is_live(NOW + timedelta(minutes=30), idle, absolute)
    late = absolute - timedelta(minutes=5)
    assert policy.next_idle(late, absolute, remember=False) == absolute


def test_keep_me_signed_in_extends_both_deadlines() -> None:
    policy = SessionPolicy()
    short = policy.deadlines(NOW, remember=False)
    long = policy.deadlines(NOW, remember=True)
    assert long[0] > short[0] and long[1] > short[1]


def test_idle_refresh_is_rate_limited() -> None:
    policy = SessionPolicy()
    idle, _ = policy.deadlines(NOW, remember=False)
    assert not policy.needs_touch(NOW + timedelta(seconds=30), idle, remember=False)
    assert policy.needs_touch(NOW + timedelta(minutes=2), idle, remember=False)


def test_sites_resolve_only_exact_configured_hosts() -> None:
    us = Site("us", "United States", "http://us.localhost:8000")
    uk = Site("uk", "United Kingdom", "https://shop.example.co.uk")
    d = SiteDirectory([us, uk], {"127.0.0.1:8000": "us"})
    assert d.by_host("US.localhost:8000") is us
    assert d.by_host("127.0.0.1:8000") is us
    assert d.by_host("shop.example.co.uk") is uk
    for host in ("evil.example", "us.localhost", "us.localhost:8000.evil", ""):
        assert d.by_host(host) is None
    assert d.others(us) == [uk]
    assert uk.url("/signin") == "https://shop.example.co.uk/signin" and uk.secure


@pytest.mark.parametrize("url", ["ftp://x", "http://x/path", "http://x?q", "not a url"])
def test_site_base_url_must_be_an_origin(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        Site("us", "US", url)


def test_masks() -> None:
    assert mask_email("jane@example.com") == "j***@example.com"
    assert mask_phone("+12015550123") == "•••-•••-0123"
    assert mask_phone("+447400123456") == "+44 ••••• ••3456"
    assert mask_phone("+353851234567") == "+353 ••••• ••4567"


def test_retry_backoff_grows_and_caps() -> None:
    assert retry_delay(1) == timedelta(seconds=5)
    assert retry_delay(2) == timedelta(seconds=10)
    assert retry_delay(30) == timedelta(minutes=30)
    assert not should_give_up(39) and should_give_up(40)


def test_failure_windows_are_aligned() -> None:
    assert window_start(NOW) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        window_start(NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    "logo",
    [
        "ftp://cdn.example/logo.png",
        "https://user@cdn.example/logo.png",
        "https://cdn.example;script-src */logo.png",
        "https://cdn.example/a,b.png",
        "https://cdn.example/a b.png",
        "https:///logo.png",
    ],
)
def test_a_logo_url_is_plain(logo: str) -> None:
    """Its origin goes into the email view's policy as it is, so nothing may ride along."""
    with pytest.raises(ValueError, match="logo_url"):
        Site(code="us", name="US", base_url="https://us.example", logo_url=logo)
    assert Site(
        code="us", name="US", base_url="https://us.example", logo_url="https://cdn.example/l.png"
    )
