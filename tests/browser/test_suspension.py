"""A suspension and its appeals in Chromium, from the console to the customer and back.

Tess (trust, US) finds Jane's account in the console and suspends it for abusive reviews.
Jane gets the statement of reasons by email, signs in with her right password and sees
that the account is suspended, opens the notice and appeals. Tess upholds; the decision's
email says another appeal is possible, and Jane appeals again. Tess may not decide a second
appeal of a suspension she decided already; Tom (trust, US) reinstates, and Jane signs in.
Staff are added and enrolled through `entryway staff add`, as an operator would. Every page
is saved as a screenshot and given the accessibility smoke check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import IN_FRENCH, Server, Shots, in_french, running_demo, site_code
from tests.browser.french import expect, says
from tests.browser.test_console import console
from tests.browser.test_console_cases import enrolled_page
from tests.browser.test_journeys import (
    FAILED,
    check_page,
    enter_identifier,
    heading,
    keep_french,
    sign_in,
)

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

JANE = "jane@example.com"
# Whose account is suspended, by the test's site: Jane (US), and Sam (Canada) in French.
SUSPENDED = {"us": JANE, IN_FRENCH: "sam@example.ca"}
FACTS = "Between 2 and 9 November, five reviews from this account insulted the sellers by name."
APPEAL_1 = (
    "Those reviews were written by my nephew, who used my laptop. I have changed my password."
)
UPHOLD = "The reviews were posted after a sign-in from your usual device and browser."
APPEAL_2 = "I can show that my nephew stayed with us that week; I will keep my laptop locked."
REINSTATE = "Thank you for the explanation. We have removed the reviews and lifted the suspension."


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    data = tmp_path_factory.mktemp("suspension-demo")
    with running_demo(data) as server:
        yield server, data


def appeal_link(server: Server, site: str, matching: Callable[[dict[str, Any]], bool]) -> str:
    """The Appeal this decision link of the newest matching email to the customer."""
    message = server.wait_for_message(to=SUSPENDED[site], site=site, matching=matching, timeout=10)
    link = re.compile("(" + re.escape(server.origin(site)) + r"/suspension/appeal\?token=[\w-]+)")
    found = link.search(message["body"])
    assert found, message["body"]
    return found.group(1)


def decide(page: Any, server: Server, number: str, decision: str, reason: str) -> None:
    page.goto(console(server, "/cases"))
    page.get_by_role("link", name=f"Case {number}").click()
    panel = page.locator("#appeal-panel")
    expect(panel).to_be_visible()
    panel.get_by_label(decision).check()
    panel.get_by_label("Reason for the customer").fill(reason)
    panel.get_by_role("button", name="Decide").click()


def appeal(page: Page, text: str) -> str:
    """From the notice page: the appeal sent, and its case number."""
    page.get_by_label("Tell us why we should reconsider").fill(text)
    page.get_by_role("button", name="Submit appeal").click()
    expect(heading(page, "Appeal sent")).to_be_visible()
    found = re.search(r"\b(\d{8})\b", page.locator("main").inner_text())
    assert found, page.locator("main").inner_text()
    return found.group(1)


@pytest.mark.parametrize("site", ["us", IN_FRENCH])
def test_suspend_appeal_uphold_appeal_reinstate(
    site: str,
    demo: tuple[Server, Path],
    new_context: Callable[..., Any],
    page: Page,
    shot: Shots,
) -> None:
    server, data = demo
    customer, code = SUSPENDED[site], site_code(site)
    if in_french(site):  # the statement of reasons is written in the account's language
        sign_in(page, server, site, customer)
        keep_french(page, server, site)
        page.context.clear_cookies()
    tess = enrolled_page(
        server, data, new_context, f"tess.{code}@staff.example", "--role", "trust", "--site", code
    )
    # Tess suspends Jane's account from the console.
    tess.get_by_role("navigation", name="Console").get_by_role("link", name="Accounts").click()
    tess.get_by_label("Email or mobile phone number").fill(customer)
    tess.get_by_role("button", name="Find").click()
    expect(tess.locator("#suspend-panel")).to_be_visible()  # the file, once it has loaded
    check_page(tess)
    shot(tess, "account-file")
    form = tess.locator("#suspend-panel")
    form.get_by_label("Reason").select_option("abusive_reviews")
    form.get_by_label("Facts").fill(FACTS)
    form.get_by_label("Indefinite").check()
    form.get_by_role("button", name="Suspend").click()
    expect(tess.locator("main")).to_contain_text("Suspended")
    shot(tess, "suspended")

    # The statement of reasons reaches the customer, in their language.
    statement = server.wait_for_message(
        to=customer, site=site, matching=lambda m: says(m["body"], "Appeal this decision", site)
    )
    for part in (FACTS, "9.3"):
        assert part in statement["body"], part
    assert says(statement["body"], "Reviews that break our rules", site), statement["body"]

    # Before the password nothing differs; after it, the sign-in page says so.
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, customer)
    page.get_by_label("Password", exact=True).fill("not-her-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("main")).to_contain_text(FAILED)
    page.goto(server.url(site, "/signin"))
    enter_identifier(page, customer)
    page.get_by_label("Password", exact=True).fill("sunny-harbor-42")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("main")).to_contain_text("Your account is suspended.")
    check_page(page)
    shot(page, "signin-suspended")
    page.get_by_role("link", name="View the notice").click()
    expect(page.locator("main")).to_contain_text(FACTS)
    check_page(page)
    shot(page, "notice")
    first = appeal(page, APPEAL_1)
    check_page(page)
    shot(page, "appeal-sent")

    # Tess upholds; the email says another appeal is possible, with its link.
    decide(tess, server, first, "Uphold", UPHOLD)
    expect(tess.locator("main")).to_contain_text("Upheld")
    shot(tess, "upheld")
    again = appeal_link(server, site, lambda m: UPHOLD in m["body"])
    page.goto(again)
    expect(page.locator("main")).to_contain_text(UPHOLD)
    shot(page, "notice-after-uphold")
    second = appeal(page, APPEAL_2)
    assert second != first

    # Tess decided the first appeal, so the second is someone else's.
    tess.goto(console(server, "/cases"))
    tess.get_by_role("link", name=f"Case {second}").click()
    panel = tess.locator("#appeal-panel")
    expect(panel).to_contain_text("a colleague must decide the second one")
    assert panel.get_by_role("button", name="Decide").count() == 0
    shot(tess, "second-appeal-not-hers")

    tom = enrolled_page(
        server, data, new_context, f"tom.{code}@staff.example", "--role", "trust", "--site", code
    )
    decide(tom, server, second, "Reinstate", REINSTATE)
    expect(tom.locator("main")).to_contain_text("Reinstated")
    shot(tom, "reinstated")
    server.wait_for_message(to=customer, site=site, matching=lambda m: REINSTATE in m["body"])

    sign_in(page, server, site, customer)
    shot(page, "signed-in-again")
