"""The demo shop signs in with OpenID Connect in a real browser: Sign in on the shop,
our sign-in pages, back with "Hello, <name>"; Sign out through RP-initiated logout; and
Sign out everywhere on the site reaching the shop by back-channel logout."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots
from tests.browser.french import expect

pytestmark = pytest.mark.browser

expect.set_options(timeout=8000)


def shop(server: Server, site: str = "us") -> str:
    name = "shop" if site == "us" else f"shop-{site}"
    return f"http://{name}.localhost:{server.port}"


def sign_in_on_the_site(page: Any, email: str) -> None:
    page.get_by_label("Email or mobile phone number").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("site", ["us", "uk"])
def test_the_shop_signs_in_and_out_through_the_sites_issuer(
    page: Any, server: Server, shot: Shots, site: str
) -> None:
    page.goto(shop(server, site) + "/")
    expect(page.get_by_role("heading", name="Welcome to Acme Shop")).to_be_visible()
    shot(page, "shop-signed-out")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.origin(site) + "/signin?**")
    shot(page, "site-sign-in")
    sign_in_on_the_site(page, "jane@example.com")
    expect(page.get_by_role("heading", name="Hello, Jane Doe")).to_be_visible()
    assert page.url.startswith(shop(server, site) + "/")
    body = page.locator("table").inner_text()
    assert "jane@example.com" in body and server.origin(site) in body and "pwd" in body
    shot(page, "shop-signed-in")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Welcome to Acme Shop")).to_be_visible()
    # Signed out of the site too: its Login & security page asks for a sign-in again.
    page.goto(server.url(site, "/account"))
    assert "/signin" in page.url
    shot(page, "site-signed-out")


def test_sign_out_everywhere_reaches_the_shop_by_back_channel(
    page: Any, server: Server, shot: Shots
) -> None:
    page.goto(shop(server, "uk") + "/")
    page.get_by_role("button", name="Sign in").click()
    sign_in_on_the_site(page, "oliver@example.co.uk")
    expect(page.get_by_role("heading", name="Hello, Oliver Smith")).to_be_visible()
    page.goto(server.url("uk", "/account"))
    page.get_by_role("button", name="Sign out everywhere").click()
    shot(page, "signed-out-everywhere")
    # The outbox posts the logout token to the shop within a few seconds.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page.goto(shop(server, "uk") + "/")
        if page.get_by_role("heading", name="Welcome to Acme Shop").count():
            break
        time.sleep(1)
    expect(page.get_by_role("heading", name="Welcome to Acme Shop")).to_be_visible()
    shot(page, "shop-after-back-channel")
