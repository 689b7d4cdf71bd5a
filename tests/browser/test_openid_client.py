"""The certified relying party npm ``openid-client`` (v6) against the demo's issuers:
discovery, an authorization URL with PKCE S256 and a nonce, the browser part in headless
Chromium on our own sign-in pages, the code exchange with ID token validation, userinfo,
refresh with rotation (and the old token refused after the grace period), revocation and
the end-session URL followed by the browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots, running_demo
from tests.browser.french import expect

pytestmark = pytest.mark.browser

RP = Path(__file__).parent.parent / "oidc"
GRACE = 1  # seconds: the server's refresh grace, short so the test can outwait it


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, str]]:
    """A demo server with an app for the relying party (registered by the command line)."""
    if shutil.which("node") is None or not (RP / "node_modules" / "openid-client").is_dir():
        pytest.fail("node and tests/oidc/node_modules are needed: run ./scripts/setup --browser")
    data = tmp_path_factory.mktemp("demo-rp")
    settings = {"ENTRYWAY_OIDC_REFRESH_GRACE_SECONDS": str(GRACE)}
    with running_demo(data, settings) as server:
        rp = f"http://rp.localhost:{server.port}"
        out = subprocess.run(
            [sys.executable, "-m", "entryway", "apps", "add", "--data", str(data),
             "--site", "us", "--name", "Interop RP", "--redirect-uri", rp + "/cb",
             "--post-logout-redirect-uri", rp + "/bye", "--first-party"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        client_id = re.search(r"client_id: (\S+)", out)
        assert client_id, out
        yield server, client_id.group(1), out.strip().splitlines()[-1]


def node(state: Path, *args: str) -> Any:
    """One step of tests/oidc/rp.mjs; its JSON answer."""
    done = subprocess.run(
        ["node", str(RP / "rp.mjs"), str(state), *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_openid_client_runs_the_whole_flow(
    page: Any, demo: tuple[Server, str, str], shot: Shots, tmp_path: Path
) -> None:
    server, client_id, secret = demo
    state = tmp_path / "rp.json"
    issuer = server.origin("us")
    rp = f"http://rp.localhost:{server.port}"
    started = node(state, "start", issuer, client_id, secret, rp + "/cb")
    assert started["metadata"]["issuer"] == issuer
    query = parse_qs(urlsplit(started["url"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    page.goto(started["url"])
    page.get_by_label("Email or mobile phone number").fill("jane@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    shot(page, "sign-in-for-the-app")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(rp + "/**")  # nothing serves the app here: its address is what counts
    back = node(state, "callback", page.url)  # openid-client checks iss, state, the ID token
    claims = back["claims"]
    assert claims["iss"] == issuer and claims["aud"] == client_id
    assert claims["email"] == "jane@example.com" and claims["amr"] == ["pwd"]
    assert back["refresh"] and "offline_access" in back["scope"]
    info = node(state, "userinfo")
    assert info["sub"] == claims["sub"] and info["name"] == "Jane Doe"
    refreshed = node(state, "refresh")
    assert refreshed["rotated"] and refreshed["claims"]["sub"] == claims["sub"]
    time.sleep(GRACE + 0.5)
    reused = node(state, "reuse-old-refresh")
    assert reused["refused"] and reused["error"] == "invalid_grant"
    # The reuse ended the whole grant: the newest refresh token is dead too.
    assert node(state, "revoke")["revoked"]


def test_end_session_signs_out_and_returns_to_the_app(
    page: Any, demo: tuple[Server, str, str], shot: Shots, tmp_path: Path
) -> None:
    server, client_id, secret = demo
    state = tmp_path / "rp.json"
    rp = f"http://rp.localhost:{server.port}"
    started = node(state, "start", server.origin("us"), client_id, secret, rp + "/cb")
    page.goto(started["url"])
    page.get_by_label("Email or mobile phone number").fill("jane@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(rp + "/**")
    node(state, "callback", page.url)
    ending = node(state, "end-session", rp + "/bye")
    page.goto(ending["url"])
    page.wait_for_url(rp + "/bye**")
    assert parse_qs(urlsplit(page.url).query) == {"state": ["bye"]}
    page.goto(server.url("us", "/account"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot(page, "signed-out-by-the-app")
