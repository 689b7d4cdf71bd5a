"""The console's Cases pages in Chromium against the running demo: the queue, a case, a
reply that reaches the customer's outbox, an internal note, and the pages at 360 px.

The customer's Ask us page lives on another branch; the cases are opened here by the
customer flows themselves, in a small process against the demo's own folder (the way
`entryway staff --data` reaches it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots, running_demo
from tests.browser.test_console import PASSWORD, code, console, staff

SEED = """
import asyncio, sys
from pathlib import Path
from entryway.bootstrap import build
from entryway.cli import demo_settings
from entryway.flows.ports import Requester
from entryway.flows.signin import sign_in
from entryway.flows.support import cases

async def main(data, port, password):
    runtime = build(demo_settings("127.0.0.1", port, data))
    who = Requester(ip="192.0.2.77", user_agent="browser-test seed")
    deps = runtime.deps
    try:
        out = await cases.open_signed_out(
            deps, "us", "Pat Rivera", "Pat@Example.com", "locked",
            "I think my account is locked.\\nI tried three times this morning.", who)
        done = await sign_in.sign_in(
            deps, "us", identifier="jane@example.com", password=password, remember=False, who=who)
        mine = await cases.open_signed_in(
            deps, "us", done.session_token, "code_not_arriving",
            "My codes take ages to arrive. Can you check?", who)
        uk = await cases.open_signed_out(
            deps, "uk", "Oliver", "oliver@example.co.uk", "other", "Hello from the UK.", who)
        print(out, mine, uk)
    finally:
        await runtime.close()

asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, list[str]]]:
    """The demo with three cases: signed out on us, Jane's signed in on us, one on uk."""
    data = tmp_path_factory.mktemp("console-cases-demo")
    with running_demo(data) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
        done = subprocess.run(
            [sys.executable, "-c", SEED, str(data), str(server.port), DEMO_PASSWORD],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        yield server, data, done.stdout.split()


def enrolled_page(
    server: Server, data: Path, new_context: Callable[..., Any], email: str, *args: str, **kw: Any
) -> Any:
    """A staff member added with `entryway staff add`, enrolled in the browser (in English
    even in a French test: the console is not translated)."""
    out = staff(data, "add", "--email", email, *args)
    link = re.search(r"(http://console\.localhost:\d+/enrol/\S+)", out)
    assert link, out
    page = new_context(staff=True, **kw).new_page()
    page.goto(link.group(1))
    page.get_by_label("Create password").fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create password").click()
    key = page.locator("#key").inner_text()
    page.get_by_label("Enter OTP").fill(code(key))
    page.get_by_role("button", name="Verify").click()
    assert page.url == console(server, "/")
    return page


def test_queue_case_reply_and_note(
    demo: tuple[Server, Path, list[str]], new_context: Callable[..., Any], shot: Shots
) -> None:
    server, data, (signed_out, signed_in, uk) = demo
    page = enrolled_page(
        server, data, new_context, "ada@staff.example", "--role", "agent", "--site", "us"
    )
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Cases").click()
    assert page.url == console(server, "/cases")
    rows = page.locator(".case-row")
    assert rows.count() == 2 and page.locator(f"#case-{uk}").count() == 0
    first = page.locator(f"#case-{signed_out}")
    assert "Pat Rivera claims to be pat@example.com" in first.inner_text()
    assert "Not verified" in first.inner_text() and "First reply due" in first.inner_text()
    assert "Signed in" in page.locator(f"#case-{signed_in}").inner_text()
    assert "claims to be" not in page.locator(f"#case-{signed_in}").inner_text()
    shot(page, "queue")

    page.get_by_label("Topic").select_option(label="My code doesn't arrive")
    page.get_by_role("button", name="Filter").click()
    assert [r.get_attribute("id") for r in rows.all()] == [f"case-{signed_in}"]
    page.get_by_label("Search by case number or contact").fill("PAT@example.com")
    page.get_by_role("button", name="Search").click()
    assert [r.get_attribute("id") for r in rows.all()] == [f"case-{signed_out}"]
    shot(page, "search")

    page.get_by_role("link", name=f"Case {signed_out}").click()
    assert page.get_by_role("heading", name=f"Case {signed_out}").is_visible()
    assert "I tried three times this morning." in page.locator(".entry-customer").inner_text()
    shot(page, "case")
    page.get_by_label("Canned reply").select_option(label="Codes that don't arrive")
    page.get_by_role("button", name="Use this reply").click()
    assert "Codes usually arrive" in page.get_by_label("Reply to customer").input_value()
    page.get_by_label("Reply to customer").fill("Hello Pat, please try Forgot your password.")
    page.get_by_role("button", name="Send reply").click()
    assert page.get_by_role("status").inner_text() == "Reply sent to the customer."
    assert "Hello Pat" in page.locator(".entry-agent").inner_text()
    assert "Pending customer" in page.locator(".case-state").inner_text()
    sent = server.wait_for_message(
        to="pat@example.com", site="us", matching=lambda m: "Hello Pat" in m["body"]
    )
    assert signed_out in sent["subject"]
    shot(page, "after-reply")

    page.get_by_label("Internal note").fill("Asked for a reset; waiting.")
    page.get_by_role("button", name="Add note").click()
    assert "Internal note added" in page.get_by_role("status").inner_text()
    assert "Asked for a reset" in page.locator(".entry-note").inner_text()
    page.get_by_role("button", name="Assign to me").click()
    assert "to you" in page.locator(".case-assigned").inner_text()
    page.get_by_label("New state").select_option(label="On hold")
    page.get_by_role("button", name="Change state").click()
    assert "On hold" in page.locator(".case-state").inner_text()
    shot(page, "after-note-assign-state")
    notes = [m for m in server.messages() if "Asked for a reset" in m["body"]]
    assert notes == []  # an internal note is never sent

    # Another site's case by its address: the same page as a case that does not exist.
    page.goto(console(server, "/cases/no-such-case"))
    missing = page.locator("main").inner_text()
    uk_id = _case_id_as(server, data, new_context, uk)
    response = page.goto(console(server, f"/cases/{uk_id}"))
    assert response is not None and response.status == 404
    assert page.locator("main").inner_text() == missing
    shot(page, "other-site-404")


def test_the_tools_panel(
    demo: tuple[Server, Path, list[str]], new_context: Callable[..., Any], shot: Shots
) -> None:
    server, data, (signed_out, signed_in, _) = demo
    page = enrolled_page(
        server, data, new_context, "tool@staff.example", "--role", "agent", "--site", "us"
    )
    page.goto(console(server, "/cases"))
    page.get_by_role("link", name=f"Case {signed_in}").click()
    summary = page.locator("#summary-panel")
    assert "j***@example.com" in summary.inner_text()
    assert "jane@example.com" not in page.locator("main").inner_text()
    assert "Not locked" in summary.inner_text()
    shot(page, "case-with-tools")

    # Reveal asks for a Reason: the browser itself keeps the form from going out blank.
    email = summary.locator("#contact-0")
    email.locator("summary").click()
    email.get_by_role("button", name="Reveal").click()
    assert "jane@example.com" not in page.locator("main").inner_text()
    email.get_by_label("Reason").fill("Customer reads the address back to me")
    email.get_by_role("button", name="Reveal").click()
    assert "jane@example.com" in page.locator("#contact-0").inner_text()
    assert "Contact revealed" in page.get_by_role("status").inner_text()
    shot(page, "contact-revealed")

    panel = page.locator("#reset-panel")
    panel.get_by_label("Reason").fill("Forgot the password")
    panel.get_by_role("button", name="Send password reset code").click()
    assert "A password reset code was sent to" in page.get_by_role("status").inner_text()
    server.wait_for_message(to="jane@example.com", site="us")
    shot(page, "reset-code-sent")

    # A signed-out case: no account summary, only Verify it's you to the typed contact.
    page.goto(console(server, "/cases"))
    page.get_by_role("link", name=f"Case {signed_out}").click()
    assert page.locator("#summary-panel").count() == 0
    assert page.get_by_role("button", name="Send password reset code").count() == 0
    verify = page.locator("#verify-panel")
    verify.get_by_label("Reason").fill("Customer wants the case linked")
    verify.get_by_role("button", name="Send code").click()
    notice = page.get_by_role("status").inner_text()
    assert notice == "If this contact is on an account, a code was sent."
    assert "Not verified yet" in page.locator("#verify-panel").inner_text()
    shot(page, "verify-sent")


def _case_id_as(server: Server, data: Path, new_context: Callable[..., Any], number: str) -> str:
    """The case's id, as a staff member of every site finds it by search."""
    page = enrolled_page(
        server, data, new_context, "all@staff.example", "--role", "agent", "--all-sites"
    )
    page.goto(console(server, f"/cases?q={number}"))
    href = page.get_by_role("link", name=f"Case {number}").get_attribute("href")
    assert href and href.startswith("/cases/")
    return href.removeprefix("/cases/")


def test_the_cases_pages_at_360_px(
    demo: tuple[Server, Path, list[str]], new_context: Callable[..., Any], shot: Shots
) -> None:
    server, data, (signed_out, signed_in, _) = demo
    page = enrolled_page(
        server,
        data,
        new_context,
        "narrow-agent@staff.example",
        "--role",
        "agent",
        "--site",
        "us",
        viewport={"width": 360, "height": 740},
    )
    page.goto(console(server, "/cases"))
    shot(page, "queue-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name=f"Case {signed_out}").click()
    shot(page, "case-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(console(server, "/cases"))
    page.get_by_role("link", name=f"Case {signed_in}").click()
    assert page.locator("#summary-panel").is_visible()
    shot(page, "case-with-tools-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    button = page.get_by_role("button", name="Send reply").bounding_box()
    assert button and button["x"] + button["width"] <= 360, button
