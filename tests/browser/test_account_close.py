"""Close your account in a real browser: from Login & security through the password and the
code to the closed page, then the sign-in that is refused and Ask us with its topic chosen,
in English and in French, and on a 360 px screen. Same conventions as ``test_journeys.py``.
Reopening by an agent is in ``test_console.py``'s conventions in ``test_console_reopen``
over HTTP; the erasure a grace period later needs a frozen clock (tests/flows)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import IN_FRENCH, Server, Shots
from tests.browser.french import expect
from tests.browser.test_journeys import (
    MOBILE,
    NEW_PASSWORD,
    check_page,
    enter_identifier,
    heading,
    no_sideways_scroll,
    register,
    unique_email,
)

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)


def _close(page: Page, server: Server, site: str, email: str, shot: Shots | None) -> None:
    page.get_by_role("link", name="Close your account").click()
    expect(heading(page, "Close your account")).to_be_visible()
    check_page(page)
    if shot:
        shot(page, "close")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Your password is incorrect.")).to_be_visible()
    if shot:
        shot(page, "wrong-password")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Enter the code to close your account")).to_be_visible()
    check_page(page)
    message = server.wait_for_message(
        to=email, site=site, matching=lambda m: "close" in m["subject"].lower()
        or "fermer" in m["subject"].lower(),
    )  # fmt: skip
    code = re.search(r"\b(\d{6})\b", message["body"])
    assert code
    page.get_by_label("Enter OTP").fill(code.group(1))
    if shot:
        shot(page, "code")
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Your account is closed")).to_be_visible()
    check_page(page)


@pytest.mark.parametrize("site", ["us", IN_FRENCH])
def test_close_your_account_and_what_a_sign_in_then_hears(
    site: str, server: Server, page: Page, shot: Shots
) -> None:
    email = unique_email("cleo", site)
    register(page, server, site, "Cleo Park", email)
    _close(page, server, site, email, shot)
    expect(page.get_by_role("status")).to_have_text(
        "You're signed out on every device. We've written to each email address and phone "
        "number on the account to confirm it."
    )
    shot(page, "closed")
    notice = server.wait_for_message(
        to=email, site=site, matching=lambda m: "/help/contact" in m["body"]
    )
    assert "2026" in notice["body"] or "2027" in notice["body"]  # the erase date is given

    page.goto(server.url(site, "/account"))  # signed out: back to Sign in
    expect(heading(page, "Sign in")).to_be_visible()
    enter_identifier(page, email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Your account is closed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Customer Service can reopen it until")
    check_page(page)
    shot(page, "sign-in-refused")
    page.get_by_role("link", name="Ask us to reopen it").click()
    expect(page.get_by_label("Topic")).to_have_value("reopen")
    check_page(page)
    shot(page, "ask-us")


def test_close_your_account_on_a_small_screen(
    server: Server, new_context: Any, shot: Shots
) -> None:
    page = new_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
    email = unique_email("dee", "us")
    register(page, server, "us", "Dee Small", email)
    page.get_by_role("link", name="Close your account").click()
    expect(heading(page, "Close your account")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "close")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Enter the code to close your account")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "code")
