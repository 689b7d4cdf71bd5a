"""The console's Recovery review in Chromium against the running demo: a reviewer opens an
identity check's review case, weighs its signals, and approves with a reason; the pages at
1280 and 360 px.

The identity check's pages live on another branch: the recovery is made here by the flows
themselves, in a small process against the demo's own folder (as test_console_cases does):
Jane sets her verification questions, someone answers them right but types a wrong order,
and the recovery job sends it to review."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, Server, Shots, running_demo
from tests.browser.test_console import console
from tests.browser.test_console_cases import enrolled_page

ANSWERS = ["Marmaduke Whiskerton", "Quillfeather Lane", "Zanzibar Nocturne"]
TYPED_ORDER = "QX-990011"
NEW_CONTACT = "jane.back@example.org"
REQUESTER_AGENT = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile"

SEED = """
import asyncio, sys
from pathlib import Path
from entryway.bootstrap import build
from entryway.cli import demo_settings
from entryway.core.recovery import RecoveryState
from entryway.core.secrets import new_token
from entryway.flows.account import account, questions
from entryway.flows.ports import Recovery, Requester
from entryway.flows.recovery import pending
from entryway.flows.signin import sign_in

async def main(data, port, password, answers, typed, new_contact, agent):
    runtime = build(demo_settings("127.0.0.1", port, data))
    deps = runtime.deps
    who = Requester(ip="192.0.2.77", user_agent="browser-test seed")
    try:
        done = await sign_in.sign_in(
            deps, "us", identifier="jane@example.com", password=password, remember=False, who=who)
        me = await account.current(deps, "us", done.session_token)
        picked = ["first_pet", "childhood_street", "first_film"]
        await questions.set_answers(deps, me, list(zip(picked, answers.split("|"))), who)
        recovery = Recovery(
            id=new_token(deps.rng, 16), site="us", account_id=me.account.id,
            state=RecoveryState.REQUESTED, new_kind="email", new_contact=new_contact,
            created_at=deps.clock.now(), questions_right=True, order_number=typed,
            order_total="61.17", requester_ip="198.51.100.23", requester_agent=agent)
        async with deps.uow() as uow:
            assert await uow.recoveries.add(recovery)
            await uow.commit()
        await pending.evaluate_requested(deps)  # the demo's own job may get there first
        for _ in range(50):
            async with deps.uow() as uow:
                found = await uow.recoveries.get("us", recovery.id)
                case = await uow.cases.in_sites(["us"], found.case_id) if found.case_id else None
            if case is not None:
                break
            await asyncio.sleep(0.1)
        assert found.state is RecoveryState.REVIEW and case is not None, found
        print(case.id, case.number)
    finally:
        await runtime.close()

asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:]))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, str, str]]:
    """The demo with one recovery waiting for review: (server, data, case id, number)."""
    data = tmp_path_factory.mktemp("console-review-demo")
    with running_demo(data) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
        args = [DEMO_PASSWORD, "|".join(ANSWERS), TYPED_ORDER, NEW_CONTACT, REQUESTER_AGENT]
        done = subprocess.run(
            [sys.executable, "-c", SEED, str(data), str(server.port), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        case_id, number = done.stdout.split()
        yield server, data, case_id, number


def fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_reviewer_approves_a_recovery(
    demo: tuple[Server, Path, str, str], new_context: Callable[..., Any], shot: Shots
) -> None:
    server, data, case_id, number = demo
    page = enrolled_page(
        server, data, new_context, "rita@staff.example", "--role", "reviewer", "--site", "us"
    )
    narrow = enrolled_page(
        server,
        data,
        new_context,
        "rita-phone@staff.example",
        "--role",
        "reviewer",
        "--site",
        "us",
        viewport={"width": 360, "height": 740},
    )
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Cases").click()
    row = page.locator(f"#case-{number}")
    assert "Identity check review" in row.inner_text()
    shot(page, "queue")
    page.get_by_role("link", name=f"Case {number}").click()
    assert page.url == console(server, f"/cases/{case_id}")
    panel = page.locator("#review-panel")
    assert page.get_by_role("heading", name="Recovery review").is_visible()
    checks = panel.locator(".signal")
    assert checks.nth(0).inner_text().split() == ["Verification", "questions", "Right"]
    assert checks.nth(1).inner_text().split() == ["Recent", "order", "Wrong"]
    assert "j***@example.org" in panel.inner_text()
    assert REQUESTER_AGENT in panel.inner_text() and "198.51.100.23" in panel.inner_text()
    main = page.locator("main").inner_text()
    for secret in [*ANSWERS, TYPED_ORDER, NEW_CONTACT]:
        assert secret not in main, secret
    shot(page, "review-case")

    narrow.goto(console(server, f"/cases/{case_id}"))
    assert narrow.locator("#review-panel").is_visible()
    shot(narrow, "review-case-360")
    fits(narrow, 360)
    approve = narrow.locator("#approve-form").get_by_role("button", name="Approve").bounding_box()
    assert approve and approve["x"] + approve["width"] <= 360, approve

    # The browser itself keeps the form from going out without a Reason.
    form = panel.locator("#approve-form")
    form.get_by_role("button", name="Approve").click()
    assert page.locator("#decision").count() == 0
    form.get_by_label("Reason").fill("Questions right; the order number looks like a typo.")
    form.get_by_role("button", name="Approve").click()
    assert page.url == console(server, f"/cases/{case_id}#review")
    assert "Recovery approved" in page.get_by_role("status").inner_text()
    decision = page.locator("#decision")
    assert "Approved by you" in decision.inner_text()
    assert "the order number looks like a typo" in decision.inner_text()
    assert page.locator("#approve-form, #decline-form").count() == 0
    assert "Waiting period running" in panel.locator(".review-state").inner_text()
    shot(page, "approved")

    narrow.reload()
    assert "Approved by rita@staff.example" in narrow.locator("#decision").inner_text()
    shot(narrow, "approved-360")
    fits(narrow, 360)
