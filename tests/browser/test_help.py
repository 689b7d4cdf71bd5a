"""The help center and the "Can't sign in?" troubleshooter in a real browser.

From the sign-in page's "Need help signing in?" through the questions to each kind of
outcome, with JavaScript and without, and the help index and an article at 360 px wide.
Same conventions as ``test_journeys.py``: elements found by label and role, every page
saved as a screenshot and given the accessibility smoke check.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize

from tests.browser.conftest import IN_FRENCH, Server, Shots
from tests.browser.french import expect
from tests.browser.test_journeys import MOBILE, check_page, heading, no_sideways_scroll

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)

START = "What's stopping you from signing in?"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": MOBILE["width"], "height": MOBILE["height"]}


def choose(page: Page, question: str, answer: str) -> None:
    group = page.get_by_role("group", name=question)
    group.get_by_role("radio", name=answer, exact=True).check()
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize("site", ["us", IN_FRENCH])
def test_from_sign_in_to_the_right_journey(
    site: str, server: Server, page: Page, shot: Shots
) -> None:
    page.goto(server.url(site, "/signin"))
    page.get_by_role("link", name="Need help signing in?").click()
    expect(heading(page, "Can't sign in?")).to_be_visible()
    expect(page.get_by_role("group", name=START)).to_be_visible()
    expect(page.get_by_role("textbox")).to_have_count(0)  # it never asks who you are
    check_page(page)
    shot(page, "first-question")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    shot(page, "first-question-360")
    page.set_viewport_size(DESKTOP)

    # Continue with nothing chosen: the same question, the error on the radio group.
    page.get_by_role("button", name="Continue").click()
    group = page.get_by_role("group", name=START)
    expect(group).to_have_accessible_description("Choose one of the answers.")
    expect(group.get_by_role("radio").first).to_have_attribute("aria-invalid", "true")
    check_page(page)
    shot(page, "nothing-chosen")

    choose(page, START, "I've forgotten my password")
    question = (
        "Can you still get email or text messages at the email address or phone number "
        "on your account?"
    )
    expect(page.get_by_role("group", name=question)).to_be_visible()
    check_page(page)
    shot(page, "second-question")

    choose(page, question, "Yes, at least one of them")
    expect(heading(page, "Reset your password")).to_be_visible()
    check_page(page)
    shot(page, "reset")
    page.get_by_role("main").get_by_role("link", name="Reset your password").click()
    expect(heading(page, "Password assistance")).to_be_visible()

    page.go_back()
    page.go_back()
    choose(page, question, "No, I no longer have either")
    expect(heading(page, "We'll check it's you another way")).to_be_visible()
    check_page(page)
    shot(page, "no-access")
    page.get_by_role("link", name="No access to your email or phone?").click()
    expect(heading(page, "No access to your email or phone?")).to_be_visible()
    check_page(page)
    shot(page, "no-access-article")
    page.go_back()
    page.get_by_role("main").get_by_role("link", name="Recover your account").click()
    expect(heading(page, "Recover your account")).to_be_visible()
    expect(page.get_by_label("Email or mobile phone number")).to_be_visible()


@pytest.mark.parametrize(
    ("answers", "outcome", "link", "lands_on"),
    [
        (["I'm told my account is locked"], "Unlock your account", "Reset your password",
         "Password assistance"),
        (["My password works, but I can't get past two-step verification",
          "I don't have my phone or authenticator app with me"], "Use a backup method",
         "Problems with two-step verification?", "Problems with two-step verification?"),
        (["I was told my account is suspended"], "About a suspended account",
         "What a suspension means", "Account suspended?"),
        (["A one-time password (OTP) I asked for hasn't arrived"], "When a code doesn't arrive",
         "What to check", "Code not arriving?"),
        (["I got a message about my account and I'm not sure it's from you"],
         "Check that a message is really from us", "How to tell",
         "Is a message really from us?"),
    ],
    ids=["locked", "backup", "suspended", "code", "genuine"],
)  # fmt: skip
def test_each_problem_reaches_its_outcome(
    server: Server,
    page: Page,
    shot: Shots,
    answers: list[str],
    outcome: str,
    link: str,
    lands_on: str,
) -> None:
    page.goto(server.url("uk", "/help/sign-in"))
    for answer in answers:
        legend = page.locator("legend").inner_text()
        choose(page, legend, answer)
    expect(heading(page, outcome)).to_be_visible()
    check_page(page)
    shot(page, "outcome")
    page.get_by_role("main").get_by_role("link", name=link, exact=True).click()
    expect(heading(page, lands_on)).to_be_visible()
    check_page(page)
    shot(page, "then")


def test_the_wrong_site_and_nothing_fits_without_javascript(
    server: Server, new_context: Any, shot: Shots
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(server.url("ca", "/help/sign-in"))
    choose(page, START, "My password isn't accepted, but I'm sure it's right")
    question = "Did you create your account on this site?"
    group = page.get_by_role("group", name=question)
    expect(group.get_by_role("radio", name="Yes, on Acme Market Canada")).to_be_visible()
    shot(page, "which-site")
    choose(page, question, "No, on another of our regional sites")
    expect(heading(page, "Try another regional site")).to_be_visible()
    main = page.get_by_role("main")
    us = main.get_by_role("link", name="Sign in on Acme Market United States")
    expect(us).to_have_attribute("href", server.url("us", "/signin"))
    expect(main.get_by_role("link", name="Sign in on Acme Market Canada")).to_have_count(0)
    check_page(page)
    shot(page, "other-sites")

    main.get_by_role("link", name="Start again").click()
    choose(page, START, "Something else")
    expect(heading(page, "Ask us")).to_be_visible()
    ask = page.get_by_role("main").get_by_role("link", name="Ask us", exact=True)
    expect(ask).to_have_attribute("href", "/help/ask")
    check_page(page)
    shot(page, "ask-us")


def test_help_center_and_an_article_at_both_widths(server: Server, page: Page, shot: Shots) -> None:
    page.goto(server.url("uk", "/"))
    page.get_by_role("contentinfo").get_by_role("link", name="Help center").click()
    expect(heading(page, "Help center")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Find the right help")).to_have_attribute(
        "href", "/help/sign-in"
    )
    expect(main.get_by_role("link", name="Ask us", exact=True)).to_have_attribute(
        "href", "/help/ask"
    )
    check_page(page)
    shot(page, "index")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    shot(page, "index-360")

    main.get_by_role("link", name="Signing in on the wrong regional site?").click()
    expect(heading(page, "Signing in on the wrong regional site?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("You are on Acme Market United Kingdom.")
    no_sideways_scroll(page)
    check_page(page)
    shot(page, "article-360")
    page.set_viewport_size(DESKTOP)
    shot(page, "article")

    for title in ("Forgot your password?", "Problems with two-step verification?"):
        page.goto(server.url("uk", "/help"))
        page.get_by_role("main").get_by_role("link", name=title).click()
        expect(heading(page, title)).to_be_visible()
        check_page(page)
        shot(page, "article")
    # The article's way into its journey.
    page.get_by_role("main").get_by_role("link", name="Sign in", exact=True).click()
    expect(heading(page, "Sign in")).to_be_visible()
