"""SECURITY.md 27: return_to only ever leads back to this site."""

from __future__ import annotations

import pytest

from entryway.core.redirects import DEFAULT_RETURN, safe_return_to

ORIGINS = frozenset({"https://shop.example"})


@pytest.mark.parametrize(
    "candidate",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "https://shop.example@evil.example",
        "https://evil.example/account",
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example",
        "%252F%252Fevil.example",
        "/%5Cevil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,hi",
        "http://shop.example/account",
        "https://shop.example.evil/",
        "/\t/evil.example",
        "/\n/evil.example",
        "ftp://shop.example/",
        "",
        None,
        "https://SHOP.example@evil.example",
        "//shop.example@evil.example",
    ],
)
def test_security_27_return_to_rejects_every_off_site_trick(candidate: str | None) -> None:
    assert safe_return_to(candidate, ORIGINS) == DEFAULT_RETURN


@pytest.mark.parametrize(
    "candidate",
    [
        "/account",
        "/account/messages?x=1",
        "/",
        "https://shop.example/account",
    ],
)
def test_return_to_keeps_local_paths_and_the_exact_origin(candidate: str) -> None:
    assert safe_return_to(candidate, ORIGINS) == candidate
