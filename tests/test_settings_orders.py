"""The order lookup's settings: a URL needs a long secret to sign with, and https outside
localhost; the service refuses to start otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from entryway.bootstrap import UnsafeSettings, build
from entryway.settings import Settings, demo_sites

SECRET = "k" * 40
STORE_SECRET = "o" * 40


def settings(**extra: Any) -> Settings:
    return Settings(secret_key=SECRET, sites=demo_sites(8000), **extra)


def test_no_lookup_is_fine() -> None:
    assert settings().problems() == []


def test_a_signed_https_lookup_is_fine() -> None:
    ok = settings(order_lookup_url="https://store.example/orders", order_lookup_secret=STORE_SECRET)
    assert ok.problems() == []
    local = settings(order_lookup_url="http://localhost:9000/o", order_lookup_secret=STORE_SECRET)
    assert local.problems() == []


@pytest.mark.parametrize(
    ("url", "secret", "problem"),
    [
        ("https://store.example/orders", "", "ENTRYWAY_ORDER_LOOKUP_SECRET must be set"),
        ("https://store.example/orders", "s" * 31, "ENTRYWAY_ORDER_LOOKUP_SECRET must be set"),
        ("http://store.example/orders", STORE_SECRET, "must use https:// outside localhost"),
        ("store.example/orders", STORE_SECRET, "must be an http(s) URL"),
    ],
)
def test_an_unsafe_lookup_is_refused(url: str, secret: str, problem: str) -> None:
    found = settings(order_lookup_url=url, order_lookup_secret=secret).problems()
    assert [p for p in found if problem in p], found
    assert not [p for p in found if secret and secret in p]  # the secret is never echoed


def test_a_secret_without_a_url_is_no_problem() -> None:
    assert settings(order_lookup_secret="short").problems() == []


def test_even_the_demo_will_not_send_unsigned_lookups(tmp_path: Any) -> None:
    demo = Settings(
        demo=True,
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp_path}/x.db",
        sites=demo_sites(8000),
        order_lookup_url="http://localhost:9000/orders",
    )
    assert demo.problems() == []  # the demo's https rules are relaxed ...
    with pytest.raises(UnsafeSettings, match="ENTRYWAY_ORDER_LOOKUP_SECRET"):
        build(demo)  # ... but an unsigned request is one a store must refuse
