"""Page fixes in a real browser, each page saved at 1280 and at 360 px wide.

The header when signed in, the wait countdown (with and without JavaScript), the way back
from the verify page, redirects after forms that create something, the first app's and the
first phone's pages, times in the site's zone, Message Center links, the favicon and the
contact page. Same conventions as ``test_journeys.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots, running_demo
from tests.browser.test_journeys import (
    MOBILE,
    NEW_PASSWORD,
    account_nav,
    check_page,
    enter_identifier,
    heading,
    no_sideways_scroll,
    register,
    unique_email,
)
from tests.browser.test_two_step import (
    ADD_APP,
    SETTINGS,
    confirm_app,
    open_app_page,
    open_settings,
)

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
WAIT = re.compile(r"Please wait (\d+) seconds? before trying again")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's demo server: the progressive delay from the first failure, no locks."""
    policy = {
        "ENTRYWAY_DELAY_AFTER_FAILURES": "1",
        "ENTRYWAY_LOCK_AFTER_FAILURES": "50",
        "ENTRYWAY_KNOWN_DEVICE_LOCK_AFTER": "50",
        "ENTRYWAY_UNUSUAL_AFTER_FAILURES": "50",
        "ENTRYWAY_IP_UNUSUAL_AFTER": "1000",
        "ENTRYWAY_IP_REFUSE_AFTER": "1000",
    }
    with running_demo(tmp_path_factory.mktemp("demo-pages"), policy) as running:
        yield running


def both_widths(page: Page, shot: Shots, step: str) -> None:
    """Screenshots at desktop and phone width; at 360 px nothing scrolls sideways."""
    page.set_viewport_size(DESKTOP)
    shot(page, step)
    page.set_viewport_size(MOBILE)
    no_sideways_scroll(page)
    shot(page, step + "-360")
    page.set_viewport_size(DESKTOP)


def expect_signed_in_header(page: Page, name: str) -> None:
    nav = account_nav(page)
    expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)


# -- the header, and where "contact us" leads --------------------------------------------


def test_header_names_the_customer_everywhere(server: Server, page: Page, shot: Shots) -> None:
    site = "us"
    register(page, server, site, "Rosa Díaz", unique_email("rosa", site))
    for path, title in (
        ("/help/sign-in", "Can't sign in?"),
        ("/help/contact", "Contact us"),
        ("/dev/outbox", "Demo outbox"),
        ("/no-such-page", "Sorry"),
    ):
        page.goto(server.url(site, path))
        expect(heading(page, title)).to_be_visible()
        expect_signed_in_header(page, "Rosa Díaz")
        check_page(page)
        both_widths(page, shot, path.strip("/").replace("/", "-"))
    # The 404 page offers the account, not a sign-in.
    expect(page.get_by_role("link", name="Login & security")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="sign in")).to_have_count(0)

    page.goto(server.url(site, "/help/sign-in"))
    page.get_by_role("contentinfo").get_by_role("link", name="Contact us").click()
    expect(heading(page, "Contact us")).to_be_visible()
    expect(page.get_by_role("link", name="help@acme-market.example")).to_have_attribute(
        "href", "mailto:help@acme-market.example"
    )


def test_home_page_and_favicon(server: Server, page: Page, shot: Shots) -> None:
    page.goto(server.url("uk", "/"))
    main = page.get_by_role("main")
    expect(main).to_contain_text("two-step verification")
    expect(main).not_to_contain_text("orders")
    check_page(page)
    both_widths(page, shot, "home")
    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_attribute("href", "/static/favicon.svg")
    for path in ("/favicon.ico", "/static/favicon.svg"):
        status, body = server.get("uk", path)
        assert status == 200 and body.lstrip().startswith(b"<svg"), path


# -- the wait countdown -------------------------------------------------------------------


def wrong_until_a_wait(page: Page, *, at_least: int) -> int:
    """Wrong passwords, waiting out each delay, until the page asks to wait ``at_least``
    seconds or more; returns the seconds it asks for."""
    for attempt in range(12):
        page.get_by_label("Password", exact=True).fill(f"not-my-password-{attempt}")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_be_visible()
        found = WAIT.search(page.get_by_role("alert").inner_text())
        if found and int(found.group(1)) >= at_least:
            return int(found.group(1))
        time.sleep(int(found.group(1)) + 0.3 if found else 0)
        if found:  # waited out: the next try is a real failure again
            page.goto(page.url)
    raise AssertionError("the page never asked to wait")


def test_wait_counts_down_and_reads_right_without_javascript(
    server: Server, new_context: Any, shot: Shots
) -> None:
    site, email = "ca", "sam@example.ca"
    page = new_context().new_page()
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, email)
    seconds = wrong_until_a_wait(page, at_least=3)
    button = page.get_by_role("button", name="Sign in")
    expect(button).to_be_disabled()  # nothing to gain from trying before the wait is over
    check_page(page)
    both_widths(page, shot, "wait")
    time.sleep(1.2)
    counted = WAIT.search(page.get_by_role("alert").inner_text())
    assert counted and int(counted.group(1)) < seconds, page.get_by_role("alert").inner_text()
    expect(page.get_by_role("alert")).to_contain_text("You can try again now", timeout=40000)
    expect(button).to_be_enabled()
    shot(page, "wait-over")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    button.click()
    expect(heading(page, "Login & security")).to_be_visible()

    plain = new_context(java_script_enabled=False).new_page()
    plain.goto(server.url(site, "/signin"))
    enter_identifier(plain, "nobody@example.ca")
    wrong_until_a_wait(plain, at_least=2)
    alert = plain.get_by_role("alert")
    expect(alert).to_contain_text(WAIT)  # the sentence is whole and right as served
    expect(plain.get_by_role("button", name="Sign in")).to_be_enabled()
    both_widths(plain, shot, "wait-no-javascript")


# -- registration: back from the verify page, a resend, a reload --------------------------


def test_verify_page_leads_back_and_a_reload_sends_nothing(
    server: Server, page: Page, shot: Shots
) -> None:
    site = "us"
    typo = unique_email("lee", site).replace("example.com", "exmaple.com")
    page.goto(server.url(site, "/register"))
    page.get_by_label("Your name").fill("Lee Park")
    page.get_by_label("Email or mobile phone number").fill(typo)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Re-enter password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(heading(page, "Verify your account")).to_be_visible()
    server.wait_for_message(to=typo, site=site)

    page.get_by_role("button", name="Resend OTP").click()
    expect(page).to_have_url(server.url(site, "/register/verify?resent=1"))
    expect(page.get_by_role("status")).to_contain_text("We sent a new OTP to")
    # Messages enter the outbox with the request that sends them: a reload that sent
    # again would show here at once.
    sent = [m for m in server.messages() if m["to"] == typo]
    page.reload()
    expect(heading(page, "Verify your account")).to_be_visible()
    assert [m for m in server.messages() if m["to"] == typo] == sent and len(sent) == 2
    check_page(page)
    both_widths(page, shot, "verify")

    back = page.get_by_role("link", name=re.compile(r"^Wrong email address or mobile number\?"))
    back.click()
    expect(heading(page, "Create account")).to_be_visible()
    expect(page).to_have_url(server.url(site, "/register"))


# -- two-step settings: the first app's name, codes shown once, the first phone -----------


def test_first_app_after_an_abandoned_set_up(server: Server, page: Page, shot: Shots) -> None:
    site = "uk"
    register(page, server, site, "Mia Jones", unique_email("mia", site))
    open_settings(page, shot)
    page.get_by_role("link", name=ADD_APP).click()
    expect(heading(page, ADD_APP)).to_be_visible()
    page.go_back()  # left unfinished
    page.reload()
    key = open_app_page(page, shot)
    confirm_app(page, shot, key)
    expect(page).to_have_url(server.url(site, "/account/two-step/backup-codes"))
    both_widths(page, shot, "backup-codes")
    page.reload()  # shown once: a reload makes no new set and shows none
    expect(heading(page, SETTINGS)).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_text("Authenticator app 1", exact=True)).to_be_visible()
    expect(main).not_to_contain_text("Authenticator app 2")
    expect(main).to_contain_text("You have 10 unused codes.")
    expect(main).to_contain_text(
        re.compile(r"added\s\d{1,2}\s\w{3}\s\d{4},\s\d{2}:\d{2}\s(GMT|BST)")
    )
    check_page(page)
    both_widths(page, shot, "settings-app-1")


def test_first_phone_is_added_and_times_carry_the_zone(
    server: Server, page: Page, shot: Shots
) -> None:
    site = "us"
    register(page, server, site, "Ada Byron", unique_email("ada", site))
    activity = page.get_by_role("table")
    expect(activity).to_contain_text(re.compile(r"\d{1,2}:\d{2}\s(AM|PM)\sE[SD]T"))
    expect(activity).not_to_contain_text("UTC")
    both_widths(page, shot, "account-times")
    page.get_by_role("link", name="Add mobile number").click()
    expect(heading(page, "Add a mobile phone number")).to_be_visible()
    expect(page.get_by_label("Mobile phone number", exact=True)).to_be_visible()
    check_page(page)
    both_widths(page, shot, "add-phone")


# -- Message Center links -----------------------------------------------------------------


def test_message_center_links_go_to_our_own_origin(server: Server, page: Page, shot: Shots) -> None:
    site = "us"
    register(page, server, site, "Kai Moana", unique_email("kai", site))
    page.goto(server.url(site, "/account/password"))
    page.get_by_label("Current password").fill(NEW_PASSWORD)
    page.get_by_label("New password", exact=True).fill("lantern-orchard-river-9")
    page.get_by_label("Re-enter new password").fill("lantern-orchard-river-9")
    page.get_by_role("button", name="Save changes").click()
    expect(heading(page, "Login & security")).to_be_visible()
    page.get_by_role("link", name="Open Message Center").click()
    expect(heading(page, "Message Center")).to_be_visible()
    message = page.locator("article.message").filter(has_text="your password was changed")
    link = message.get_by_role("link", name=server.url(site, "/signin"))
    expect(link).to_have_attribute("href", server.url(site, "/signin"))
    check_page(page)
    both_widths(page, shot, "message-center")
    link.click()
    expect(page).to_have_url(re.compile(re.escape(server.url(site, "/signin"))))
