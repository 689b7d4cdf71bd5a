"""A third-party app in a real browser: our sign-in, the consent page **Allow <app> to …**
with **Allow** / **Cancel** (remembered once allowed), and RP-initiated logout asking first
when the app sends no ID token hint."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots, running_demo
from tests.browser.french import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, Path]]:
    """A demo server with a third-party app registered by the command line."""
    data = tmp_path_factory.mktemp("demo-apps")
    with running_demo(data) as server:
        rp = f"http://coupons.localhost:{server.port}"
        out = subprocess.run(
            [sys.executable, "-m", "entryway", "apps", "add", "--data", str(data),
             "--site", "us", "--name", "Coupon Pal", "--redirect-uri", rp + "/cb",
             "--post-logout-redirect-uri", rp + "/bye"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        found = re.search(r"client_id: (\S+)", out)
        assert found, out
        yield server, found.group(1), data


def _authorize_url(server: Server, client_id: str) -> str:
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = {
        "response_type": "code", "client_id": client_id, "scope": "openid email profile",
        "redirect_uri": f"http://coupons.localhost:{server.port}/cb", "state": "s1",
        "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256",
    }  # fmt: skip
    return server.url("us", "/oauth/authorize?" + urlencode(query))


def _at_the_app(page: Any, server: Server) -> str:
    """Where the browser was sent at the app (nothing serves the app's host here: the demo
    answers it "Unknown host", which is fine, the address is what counts)."""
    page.wait_for_url(f"http://coupons.localhost:{server.port}/**")
    return str(page.url)


def test_consent_is_asked_once_and_logout_asks_first(
    page: Any, demo: tuple[Server, str, Path], shot: Shots
) -> None:
    server, client_id, _ = demo
    page.goto(_authorize_url(server, client_id))
    page.get_by_label("Email or mobile phone number").fill("jane@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Allow Coupon Pal to …")).to_be_visible()
    expect(page.get_by_text("see your email address")).to_be_visible()
    shot(page, "consent")
    page.get_by_role("button", name="Cancel").click()
    denied = parse_qs(urlsplit(_at_the_app(page, server)).query)
    assert denied["error"] == ["access_denied"] and denied["iss"] == [server.origin("us")]
    page.goto(_authorize_url(server, client_id))
    page.get_by_role("button", name="Allow").click()
    allowed = parse_qs(urlsplit(_at_the_app(page, server)).query)
    assert allowed["code"] and allowed["state"] == ["s1"]
    page.goto(_authorize_url(server, client_id))  # remembered: straight back with a code
    assert "code" in parse_qs(urlsplit(_at_the_app(page, server)).query)
    bye = f"http://coupons.localhost:{server.port}/bye"
    page.goto(
        server.url(
            "us",
            "/oauth/logout?" + urlencode({"client_id": client_id, "post_logout_redirect_uri": bye}),
        )
    )
    expect(page.get_by_role("heading", name=re.compile("Sign out of"))).to_be_visible()
    shot(page, "app-sign-out")
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    assert _at_the_app(page, server) == bye
    page.goto(server.url("us", "/account"))
    assert "/signin" in page.url
