"""The apps' pure rules: redirect URIs (exact, loopback ports for native apps), scopes,
amr and acr, lifetimes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entryway.core.apps import (
    AppPolicy,
    acr_of,
    amr_of,
    redirect_uri_matches,
    redirect_uri_problem,
    released_claims,
    scope_list,
)


@pytest.mark.parametrize(
    ("registered", "given", "public", "ok"),
    [
        ("https://shop.example/cb", "https://shop.example/cb", False, True),
        ("https://shop.example/cb", "https://shop.example/cb/", False, False),
        ("https://shop.example/cb", "https://SHOP.example/cb", False, False),
        ("https://shop.example/cb", "https://shop.example/cb?x=1", False, False),
        ("https://shop.example/cb", "https://shop.example:443/cb", False, False),
        ("http://127.0.0.1/cb", "http://127.0.0.1:51004/cb", True, True),  # RFC 8252 §7.3
        ("http://[::1]/cb", "http://[::1]:8080/cb", True, True),
        ("http://127.0.0.1/cb", "http://127.0.0.1:51004/cb", False, False),  # not for servers
        ("http://127.0.0.1/cb", "http://127.0.0.1:51004/other", True, False),
        ("http://127.0.0.1/cb", "http://127.0.0.2:51004/cb", True, False),
        ("http://127.0.0.1/cb", "http://127.0.0.1:99999/cb", True, False),
        ("com.acme.shop:/cb", "com.acme.shop:/cb", True, True),
        ("com.acme.shop:/cb", "com.acme.evil:/cb", True, False),
    ],
)
def test_redirect_uris_match_exactly_but_for_native_loopback_ports(
    registered: str, given: str, public: bool, ok: bool
) -> None:
    assert redirect_uri_matches(registered, given, public=public) is ok


@pytest.mark.parametrize(
    ("uri", "public", "refused"),
    [
        ("https://shop.example/cb", False, False),
        ("http://shop.example/cb", False, True),
        ("http://127.0.0.1:9000/cb", False, False),
        ("http://shop.localhost:8000/callback", False, False),
        ("https://shop.example/cb#frag", False, True),
        ("javascript:alert(1)", True, True),
        ("data:text/html,x", True, True),
        ("com.acme.shop:/cb", False, True),
        ("com.acme.shop:/cb", True, False),
        ("myapp:/cb", True, True),  # a private-use scheme is a reversed domain name
        ("/relative", False, True),
    ],
)
def test_what_may_be_registered(uri: str, public: bool, refused: bool) -> None:
    assert (redirect_uri_problem(uri, public=public) is not None) is refused


def test_scopes_unknown_ones_are_dropped_and_claims_follow() -> None:
    assert scope_list("openid email wat email phone") == ["openid", "email", "phone"]
    assert released_claims(["openid", "email"]) == ("sub", "email", "email_verified")


def test_amr_and_acr() -> None:
    assert amr_of(["pwd"]) == ["pwd"] and acr_of(["pwd"]) == "1"
    assert amr_of(["otp", "pwd"]) == ["pwd", "otp", "mfa"]
    assert amr_of(["pwd", "sms"]) == ["pwd", "sms", "mfa"] and acr_of(["pwd", "sms", "mfa"]) == "2"
    assert amr_of(["hwk", "user"]) == ["hwk", "user", "mfa"]
    assert amr_of(["pwd", "bogus"]) == ["pwd"]


def test_lifetimes_are_checked() -> None:
    assert AppPolicy().code == timedelta(seconds=60)
    with pytest.raises(ValueError, match="positive"):
        AppPolicy(access=timedelta(0))
    with pytest.raises(ValueError, match="grace"):
        AppPolicy(refresh_grace=timedelta(minutes=5))
