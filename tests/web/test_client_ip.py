"""SECURITY.md 9: the client IP comes only from configured trusted proxies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from entryway.web.security import WebConfig, client_ip


def request(peer: str, xff: str | None) -> Request:
    headers = [(b"host", b"us.localhost:8000")]
    if xff is not None:
        headers.append((b"x-forwarded-for", xff.encode()))
    scope: dict[str, Any] = {"type": "http", "headers": headers, "client": (peer, 1234)}
    return Request(scope)


def test_forged_forwarded_for_from_an_untrusted_peer_changes_nothing() -> None:
    assert client_ip(request("203.0.113.5", "1.2.3.4"), ()) == "203.0.113.5"
    trusted = WebConfig.networks(["10.0.0.0/8"])
    assert client_ip(request("203.0.113.5", "1.2.3.4"), trusted) == "203.0.113.5"


def test_trusted_proxy_hops_are_skipped_from_the_right() -> None:
    trusted = WebConfig.networks(["10.0.0.0/8"])
    # The client forged the left-most entry; our proxies appended the real one.
    assert (
        client_ip(request("10.0.0.2", "6.6.6.6, 198.51.100.9, 10.0.0.1"), trusted) == "198.51.100.9"
    )
    assert client_ip(request("10.0.0.2", "not-an-ip"), trusted) == "10.0.0.2"
    assert client_ip(request("10.0.0.2", None), trusted) == "10.0.0.2"
