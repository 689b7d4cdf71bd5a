"""Ask us in a real browser: from Can't sign in? to a case, the case page, Your support cases.

The agent's side is in ``test_support_journey.py``; here the customer opens cases signed out
and signed in, reads the confirmation in the demo outbox and follows its View your case link.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import DEMO_PASSWORD, IN_FRENCH, Server, Shots
from tests.browser.french import expect
from tests.browser.test_journeys import DEMO, MOBILE, check_page, heading, no_sideways_scroll

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)
SITES = ["us", IN_FRENCH]


def case_link(server: Server, site: str, to: str, number: str) -> str:
    message = server.wait_for_message(
        to=to, site=site, matching=lambda m: number in m["subject"] and "/cases/open/" in m["body"]
    )
    link = re.compile("(" + re.escape(server.origin(site)) + r"/cases/open/[A-Za-z0-9_-]+)")
    found = link.search(message["body"])
    assert found, message["body"]
    return found.group(1)


@pytest.mark.parametrize("site", SITES)
def test_signed_out_from_cant_sign_in_to_a_case(
    site: str, server: Server, page: Page, shot: Shots, new_context: Any
) -> None:
    page.goto(server.url(site, "/"))
    page.get_by_role("link", name="Can't sign in?").click()
    start = page.get_by_role("group", name="What's stopping you from signing in?")
    start.get_by_role("radio", name="Something else", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    shot(page, "troubleshooter-ends-at-ask-us")
    page.get_by_role("link", name="Ask us", exact=True).first.click()
    expect(heading(page, "Ask us")).to_be_visible()
    check_page(page)
    shot(page, "ask-us-form")

    # Send with nothing filled in: each error is tied to its field, nothing is sent.
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_label("Your name")).to_have_attribute("aria-invalid", "true")
    shot(page, "ask-us-errors")

    page.get_by_label("Your name").fill("Sam Rivera")
    page.get_by_label("Email or mobile phone number").fill("Sam.Rivera@Example.com")
    page.get_by_label("Topic").select_option(label="My account is locked")
    page.get_by_label("Message").fill("It says my account is locked, and no email came.")
    page.get_by_role("button", name="Send").click()
    expect(heading(page, "We received your request")).to_be_visible()
    number = page.locator("strong").first.inner_text()
    assert re.fullmatch(r"\d{8}", number), number
    check_page(page)
    shot(page, "ask-us-sent")

    link = case_link(server, site, "sam.rivera@example.com", number)
    mobile = new_context(viewport=MOBILE).new_page()
    mobile.goto(link)
    expect(heading(mobile, f"Case {number}")).to_be_visible()
    assert "/cases/open/" not in mobile.url  # the token is swapped for a cookie at once
    expect(mobile.get_by_text("no email came")).to_be_visible()
    no_sideways_scroll(mobile)
    check_page(mobile)
    shot(mobile, "case-page-360")
    mobile.get_by_label("Your reply").fill("I can add that I use the US site.")
    mobile.get_by_role("button", name="Send").click()
    expect(mobile.get_by_role("status")).to_contain_text("Your reply was sent")
    expect(mobile.get_by_text("I can add that I use the US site.")).to_be_visible()
    shot(mobile, "case-page-replied-360")


@pytest.mark.parametrize("site", SITES)
def test_signed_in_ask_us_and_your_support_cases(
    site: str, server: Server, page: Page, shot: Shots
) -> None:
    page.goto(server.url(site, "/signin"))
    page.get_by_label("Email or mobile phone number").fill(DEMO[site][0])
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Login & security")).to_be_visible()

    page.get_by_role("link", name="Ask us", exact=True).last.click()  # the footer's
    expect(heading(page, "Ask us")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_count(0)  # the account is known
    page.get_by_label("Topic").select_option(
        label="Two-step verification (backup methods and codes)"
    )
    page.get_by_label("Message").fill("Can I use a backup code twice?")
    shot(page, "ask-us-signed-in")
    page.get_by_role("button", name="Send").click()
    expect(heading(page, "We received your request")).to_be_visible()
    number = page.locator("strong").first.inner_text()

    page.goto(server.url(site, "/account"))
    page.get_by_role("link", name="Your support cases").first.click()
    expect(heading(page, "Your support cases")).to_be_visible()
    check_page(page)
    shot(page, "your-support-cases")
    page.get_by_role("link", name=f"Case {number}").click()
    expect(page.get_by_text("Can I use a backup code twice?")).to_be_visible()
    check_page(page)
    shot(page, "your-case")
