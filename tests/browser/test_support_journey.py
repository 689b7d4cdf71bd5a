"""The whole Ask us journey in Chromium, customer and agent side by side:

a signed-out customer uses Can't sign in?, ends at Ask us and sends a case; a new agent is
added with `entryway staff add --data <demo folder>`, enrols from the printed link and signs in
with a TOTP computed from the key the page shows; the agent finds the case, verifies the
customer with Verify it's you and replies; the customer gets the email, sees it in the Message
Center, replies from View your case; the agent solves it. Along the way: the agent cannot reach
the admin pages, and neither side's cookies work on the other's origin.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots, running_demo
from tests.browser.test_console import PASSWORD, code, console, staff
from tests.browser.test_journeys import check_page, heading

pytestmark = pytest.mark.browser

expect.set_options(timeout=5000)
JANE = "jane@example.com"
LINK = re.compile(r"(http://us\.localhost:\d+/cases/open/[A-Za-z0-9_-]+)")
SIX = re.compile(r"\b(\d{6})\b")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    data = tmp_path_factory.mktemp("support-journey")
    with running_demo(data) as server:
        yield server, data


def _newest(server: Server, number: str, words: str) -> dict[str, Any]:
    return server.wait_for_message(
        to=JANE, site="us", matching=lambda m: number in m["subject"] and words in m["body"]
    )


def _customer_asks(server: Server, page: Page, shot: Shots) -> str:
    page.goto(server.url("us", "/"))
    page.get_by_role("link", name="Can't sign in?").click()
    start = page.get_by_role("group", name="What's stopping you from signing in?")
    start.get_by_role("radio", name="Something else", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    shot(page, "customer-cant-sign-in-ends-at-ask-us")
    page.get_by_role("link", name="Ask us", exact=True).first.click()
    page.get_by_label("Your name").fill("Jane Doe")
    page.get_by_label("Email or mobile phone number").fill("Jane@Example.com")
    page.get_by_label("Topic").select_option(label="Something else")
    page.get_by_label("Message").fill("I can't get into my account since yesterday.")
    shot(page, "customer-ask-us")
    page.get_by_role("button", name="Send").click()
    expect(heading(page, "We received your request")).to_be_visible()
    number = page.locator("strong").first.inner_text()
    shot(page, "customer-case-number")
    return number


def _agent_enrols(server: Server, data: Path, page: Page, shot: Shots) -> None:
    out = staff(data, "add", "--email", "rosa@staff.example", "--role", "agent", "--site", "us")
    link = re.search(r"(http://console\.localhost:\d+/enrol/\S+)", out)
    assert link, out
    page.goto(link.group(1))
    page.get_by_label("Create password").fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create password").click()
    key = page.locator("#key").inner_text()
    shot(page, "agent-authenticator-app")
    page.get_by_label("Enter OTP").fill(code(key))
    page.get_by_role("button", name="Verify").click()
    assert page.url == console(server, "/")
    shot(page, "agent-console-home")


def test_ask_us_from_the_customer_to_the_agent_and_back(
    demo: tuple[Server, Path], new_context: Callable[..., Any], shot: Shots
) -> None:
    server, data = demo
    customer = new_context().new_page()
    number = _customer_asks(server, customer, shot)
    confirmation = _newest(server, number, "/cases/open/")

    agent = new_context().new_page()
    _agent_enrols(server, data, agent, shot)
    # An agent is not an admin: the admin pages answer like pages that do not exist.
    response = agent.goto(console(server, "/admin/staff"))
    assert response is not None and response.status == 404
    # The console's session means nothing on a customer site.
    agent.goto(server.url("us", "/account"))
    expect(heading(agent, "Sign in")).to_be_visible()

    agent.goto(console(server, "/cases"))
    agent.get_by_label("Search by case number or contact").fill(number)
    agent.get_by_role("button", name="Search").click()
    agent.get_by_role("link", name=f"Case {number}").click()
    main = agent.locator("main")
    expect(main).to_contain_text("Not verified")
    expect(main).to_contain_text("claims to be")
    assert agent.locator("#summary-panel").count() == 0  # no account detail before Verify
    shot(agent, "agent-case-not-verified")
    verify = agent.locator("#verify-panel")
    verify.get_by_label("Reason").fill("Signed-out case: confirm the sender owns the account")
    verify.get_by_role("button", name="Send code").click()
    expect(agent.get_by_role("status")).to_have_text(
        "If this contact is on an account, a code was sent."
    )

    # The customer opens View your case from the confirmation and enters the code.
    code_message = _newest(server, number, "one-time code")
    assert "/cases/open/" not in code_message["body"] and "http" not in code_message["body"]
    found = SIX.search(code_message["body"])
    assert found
    link = LINK.search(confirmation["body"])
    assert link, confirmation["body"]
    customer.goto(link.group(1))
    expect(heading(customer, f"Case {number}")).to_be_visible()
    expect(customer.get_by_role("heading", name="Verify it's you")).to_be_visible()
    check_page(customer)
    shot(customer, "customer-case-code-asked")
    customer.get_by_label("Enter code").fill(found.group(1))
    customer.get_by_role("button", name="Verify").click()
    expect(customer.get_by_role("status")).to_contain_text("that's the right code")
    shot(customer, "customer-verified")

    agent.reload()
    expect(agent.locator("#verify-panel")).to_contain_text("Verified")
    expect(agent.locator("#summary-panel")).to_be_visible()  # linked now: the summary shows
    expect(agent.locator(".case-origin")).to_have_text("Sent signed out, verified later")
    assert JANE not in agent.locator("main").inner_text().replace("Jane@Example.com", "")
    agent.get_by_label("Reply to customer").fill(
        "Thanks, Jane. Your account isn't locked: use Forgot your password? to set a new one."
    )
    agent.get_by_role("button", name="Send reply").click()
    expect(agent.get_by_role("status")).to_have_text("Reply sent to the customer.")
    shot(agent, "agent-replied")

    # The reply arrives by email, and shows in the Message Center once signed in.
    reply = _newest(server, number, "Your account isn't locked")
    customer.goto(server.url("us", "/signin"))
    customer.get_by_label("Email or mobile phone number").fill(JANE)
    customer.get_by_role("button", name="Continue").click()
    customer.get_by_label("Password").fill(DEMO_PASSWORD)
    customer.get_by_role("button", name="Sign in").click()
    customer.goto(server.url("us", "/account/messages"))
    expect(customer.get_by_text("Your account isn't locked").first).to_be_visible()
    shot(customer, "customer-message-center")

    reply_link = LINK.search(reply["body"])
    assert reply_link, reply["body"]
    customer.goto(reply_link.group(1))
    expect(customer.get_by_text("Your account isn't locked")).to_be_visible()
    customer.get_by_label("Your reply").fill("Thank you, that worked.")
    customer.get_by_role("button", name="Send").click()
    expect(customer.get_by_role("status")).to_contain_text("Your reply was sent")
    shot(customer, "customer-replied")

    agent.reload()
    expect(agent.locator("main")).to_contain_text("Thank you, that worked.")
    agent.get_by_label("New state").select_option(label="Solved")
    agent.get_by_role("button", name="Change state").click()
    expect(agent.locator(".case-state")).to_contain_text("Solved")
    shot(agent, "agent-solved")

    customer.reload()
    expect(customer.locator("main")).to_contain_text("Solved")
    shot(customer, "customer-sees-solved")
