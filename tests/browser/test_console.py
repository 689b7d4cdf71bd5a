"""The staff console in Chromium: `entryway staff add` against the running demo's folder,
the enrolment link, Create password, the authenticator app, the console, admin pages,
and sign-in again with Email, Password and Enter OTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from entryway.core import totp
from tests.browser.conftest import Server, Shots, running_demo

EMAIL = "lee@staff.example"
PASSWORD = "granite-orchard-sparrow-9"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    data = tmp_path_factory.mktemp("console-demo")
    with running_demo(data) as server:
        yield server, data


def staff(data: Path, *args: str) -> str:
    """Run ``entryway staff ... --data <demo folder>`` as the operator would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
    done = subprocess.run(
        [sys.executable, "-m", "entryway", "staff", *args, "--data", str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def code(key: str, ahead: float = 0) -> str:
    """What an authenticator app shows for ``key`` (RFC 6238, computed like an app would)."""
    return totp.totp(totp.parse_key(key), int(time.time() + ahead) // totp.PERIOD)


def console(server: Server, path: str = "/") -> str:
    return f"http://console.localhost:{server.port}{path}"


def test_enrol_and_sign_in_to_the_console(
    demo: tuple[Server, Path], new_context: Callable[..., Any], shot: Shots
) -> None:
    server, data = demo
    out = staff(data, "add", "--email", EMAIL, "--role", "admin", "--role", "agent", "--all-sites")
    found = re.search(r"(http://console\.localhost:\d+/enrol/\S+)", out)
    assert found, out
    page = new_context().new_page()
    page.goto(found.group(1))
    assert page.url == console(server, "/enrol/password")  # the token is out of the URL
    shot(page, "create-password")
    page.get_by_label("Create password").fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create password").click()
    assert page.url == console(server, "/enrol/app")
    assert page.locator(".qr svg").is_visible()
    shot(page, "authenticator-app")
    key = page.locator("#key").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key), key
    page.get_by_label("Enter OTP").fill(code(key))
    page.get_by_role("button", name="Verify").click()
    assert page.url == console(server, "/")
    # Who is signed in is a line of the header itself, not text floating above the page.
    header = page.locator("header.top .whoami").inner_text()
    assert header.startswith(f"Signed in as {EMAIL}"), header
    assert "agent, admin on all sites" in header
    nav = page.get_by_role("navigation", name="Console")
    for link in ("Cases", "Staff", "Settings"):
        assert nav.get_by_role("link", name=link).is_visible()
    shot(page, "console-home")

    nav.get_by_role("link", name="Staff").click()
    assert page.locator(".staff-row").filter(has_text="agent@acme-market.example").count() == 1
    mine = page.locator(".staff-row").filter(has_text=EMAIL)
    assert mine.locator(".tag").inner_text() == "you"  # and no actions on oneself
    assert mine.locator("details").count() == 0
    shot(page, "admin-staff")
    nav.get_by_role("link", name="Settings").click()
    assert "secret_key" in page.content() and "(redacted)" in page.content()
    shot(page, "admin-settings")

    # The console's cookies do not reach a customer site, nor its pages.
    page.goto(server.url("us", "/admin/staff"))
    assert "couldn" in page.content()
    page.goto(console(server))
    page.get_by_role("button", name="Sign out").click()
    assert page.url == console(server, "/signin")
    shot(page, "signed-out")

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.url == console(server, "/signin/otp")
    shot(page, "enter-otp")
    page.get_by_label("Enter OTP").fill("000000")
    page.get_by_role("button", name="Verify").click()
    assert page.locator(".error").inner_text().startswith("That code isn't right")
    shot(page, "wrong-otp")
    # The enrolment spent this step's code; the next step's is accepted (one step of skew).
    page.get_by_label("Enter OTP").fill(code(key, ahead=30))
    page.get_by_role("button", name="Verify").click()
    assert page.url == console(server, "/")


def test_the_console_at_360_px(
    demo: tuple[Server, Path], new_context: Callable[..., Any], shot: Shots
) -> None:
    server, data = demo
    out = staff(
        data, "add", "--email", "narrow@staff.example", "--role", "admin", "--role", "agent",
        "--site", "us",
    )  # fmt: skip
    link = re.search(r"(http://console\.localhost:\d+/enrol/\S+)", out)
    assert link, out
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(link.group(1))
    shot(page, "create-password-360")
    page.get_by_label("Create password").fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create password").click()
    shot(page, "authenticator-app-360")
    key = page.locator("#key").inner_text().replace(" ", "")
    page.get_by_label("Enter OTP").fill(code(key))
    page.get_by_role("button", name="Verify").click()
    shot(page, "console-home-360")
    signout = page.get_by_role("button", name="Sign out").bounding_box()
    assert signout and signout["x"] + signout["width"] <= 360, signout
    page.goto(console(server, "/admin/staff"))
    shot(page, "admin-staff-360")
    page.goto(console(server, "/admin/settings"))
    shot(page, "admin-settings-360")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


def test_a_staff_passkey_instead_of_password_and_app(
    demo: tuple[Server, Path], new_context: Callable[..., Any], shot: Shots
) -> None:
    """Your passkeys on the console: add one with the virtual authenticator, then sign in
    with it (autofill, then the button) and remove it."""
    from tests.browser.test_passkeys import NO_AUTOFILL, virtual_authenticator

    server, data = demo
    email = "kit@staff.example"
    out = staff(data, "add", "--email", email, "--role", "agent", "--all-sites")
    found = re.search(r"(http://console\.localhost:\d+/enrol/\S+)", out)
    assert found, out
    context = new_context()
    page = context.new_page()
    page.goto(found.group(1))
    page.get_by_label("Create password").fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create password").click()
    page.get_by_label("Enter OTP").fill(code(page.locator("#key").inner_text()))
    page.get_by_role("button", name="Verify").click()
    assert page.url == console(server, "/")
    virtual_authenticator(context, page)
    page.get_by_role("link", name="Your passkeys").click()
    page.get_by_role("heading", name="Your passkeys").wait_for()
    assert page.locator("#passkey-unsupported").is_hidden()
    shot(page, "your-passkeys")
    page.get_by_label("Name (optional)").fill("Desk laptop")
    page.get_by_role("button", name="Add a passkey").click()  # the password first
    assert page.get_by_label("Your password").evaluate("e => document.activeElement === e")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_text("Your passkey was added.").wait_for()
    assert page.get_by_text("Desk laptop").is_visible()
    shot(page, "passkey-added")

    # Signed out, the sign-in page's autofill signs in with it, no password, no code.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(console(server, "/"))
    assert page.locator("header.top .whoami").inner_text().startswith(f"Signed in as {email}")

    context.add_init_script(NO_AUTOFILL)  # a browser without passkey autofill: the button
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in with a passkey").wait_for()
    shot(page, "sign-in-with-a-passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(console(server, "/"))

    page.goto(console(server, "/passkeys"))
    page.get_by_role("button", name="Remove the passkey Desk laptop").click()
    page.get_by_text("That passkey was removed.").wait_for()
    shot(page, "passkey-removed")
