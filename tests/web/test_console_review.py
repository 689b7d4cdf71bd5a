"""The console's Recovery review over HTTP: a reviewer weighs an identity check's signals
and approves or declines with a reason; nobody else reaches the case or its decisions
(SECURITY.md 33), and no answer or order detail ever reaches the page (SECURITY.md 31, 35).
"""

from __future__ import annotations

import dataclasses
import html
import itertools
from datetime import date
from decimal import Decimal

import httpx

from entryway.adapters.orders_twin import MemoryOrders
from entryway.core.events import AuditAction
from entryway.core.recovery import Evidence, Outcome, RecoveryState
from entryway.core.secrets import new_token
from entryway.core.staff import Role
from entryway.flows.account import questions
from entryway.flows.ports import Order, Recovery, Requester
from entryway.flows.recovery import pending
from entryway.flows.recovery.evidence import signals
from entryway.flows.subjects import public_subject
from entryway.web import formatting
from entryway.web.console.review import NOTICES, ORDERS, QUESTIONS, WEAK_LABELS, checks_of
from tests.conftest import World
from tests.flows.test_agent_tools import audit_of, locked_signed_in_case
from tests.flows.test_questions import signed_in
from tests.web.helpers import csrf_of
from tests.web.test_console import Hosts
from tests.web.test_console import hosts as hosts  # the fixture, re-exported
from tests.web.test_console_cases import Staff
from tests.web.test_console_cases import staff as staff  # the fixture, re-exported

WHO = Requester(ip="192.0.2.10", user_agent="pytest")
# Answers and order details no page may show: distinctive, so a hit is never by chance.
ANSWERS = [
    ("first_pet", "Marmaduke Whiskerton"),
    ("childhood_street", "Quillfeather Lane"),
    ("first_film", "Zanzibar Nocturne"),
]
STORE_ORDER = Order(
    number="QX-448817",
    placed_at=date(2026, 11, 20),
    total=Decimal("187.43"),
    currency="USD",
    items=("Vermilion Tea Kettle", "Obsidian Cutting Board"),
    postcode="59812",
)
TYPED_NUMBER, TYPED_TOTAL = "QX-990011", "61.17"  # what the requester typed: wrong
SECRETS = [a for _, a in ANSWERS] + [
    STORE_ORDER.number,
    str(STORE_ORDER.total),
    *STORE_ORDER.items,
    STORE_ORDER.postcode,
    TYPED_NUMBER,
    TYPED_TOTAL,
]
NEW_CONTACT = "ana.back@example.org"
REQUESTER_IP = "198.51.100.23"
REQUESTER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) ReviewTestBrowser/9.1"


async def recovery_in_review(world: World, *, two_step: bool = False) -> tuple[str, str]:
    """(recovery id, case id): Ana set her questions, then someone answered them right but
    typed a wrong order; the store knows one order of hers, so the check goes to review.
    ``two_step``: the account had 2SV on when it was asked (a warning sign)."""
    me = await signed_in(world)
    await questions.set_answers(world.deps, me, ANSWERS, WHO)
    world.clock.advance(days=10)  # past the week in which a change counts as recent
    twin = MemoryOrders()
    sub = public_subject(world.deps.keys, "us", me.account.id)
    twin.add("us", sub, [STORE_ORDER])
    recovery = Recovery(
        id=new_token(world.deps.rng, 16),
        site="us",
        account_id=me.account.id,
        state=RecoveryState.REQUESTED,
        new_kind="email",
        new_contact=NEW_CONTACT,
        created_at=world.clock.now(),
        questions_right=True,
        order_number=TYPED_NUMBER,
        order_total=TYPED_TOTAL,
        requester_ip=REQUESTER_IP,
        requester_agent=REQUESTER_AGENT,
        two_step=two_step,
    )
    async with world.deps.uow() as uow:
        assert await uow.recoveries.add(recovery)
        await uow.commit()
    assert await pending.evaluate_requested(dataclasses.replace(world.deps, orders=twin)) == 1
    stored = await stored_recovery(world, recovery.id)
    assert stored.state is RecoveryState.REVIEW and stored.case_id, stored
    return recovery.id, stored.case_id


async def stored_recovery(world: World, recovery_id: str) -> Recovery:
    async with world.deps.uow() as uow:
        found = await uow.recoveries.get("us", recovery_id)
    assert found is not None
    return found


async def reviewer_of(staff: Staff, sites: list[str] | None = None) -> httpx.AsyncClient:
    return await staff("rev@staff.example", frozenset({Role.REVIEWER}), sites or ["us"])


async def decide(
    client: httpx.AsyncClient, case_id: str, decision: str, reason: str, csrf: str | None = None
) -> httpx.Response:
    """Post a decision with the CSRF token of a page the client can open."""
    if csrf is None:
        csrf = csrf_of((await client.get("/")).text)
    return await client.post(
        f"/cases/{case_id}/review/{decision}", data={"csrf": csrf, "reason": reason}
    )


def assert_no_secrets(page: str) -> None:
    text = html.unescape(page)
    for secret in SECRETS:
        assert secret not in text, secret


async def test_a_reviewer_sees_the_signals_and_approves(hosts: Hosts, staff: Staff) -> None:
    recovery_id, case_id = await recovery_in_review(hosts.world)
    reviewer = await reviewer_of(staff)
    r = await reviewer.get(f"/cases/{case_id}")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    page = html.unescape(r.text)
    assert "Recovery review" in page and 'id="review-panel"' in page
    # The case is linked to the account asked for, which proves nothing about who asked.
    assert "Not proven" in page and "own session" not in page
    assert "not to the new contact" in page  # where a reply would go
    assert "Waiting for review" in page
    deadline = (await stored_recovery(hosts.world, recovery_id)).wait_until
    assert deadline is not None
    shown = formatting.when(deadline, hosts.world.deps.site("us"))
    assert f'Decide by</dt><dd class="review-deadline">{html.unescape(shown)} ' in page
    assert 'Verification questions</span> <span class="signal-verdict">Right' in page
    assert 'Recent order</span> <span class="signal-verdict">Wrong' in page
    assert "a***@example.org" in page and NEW_CONTACT not in page
    assert REQUESTER_IP in page and REQUESTER_AGENT in page
    assert "None bounced" in page and "10 days" in page and "Warning signs" not in page
    assert "Recent security events" in page
    assert f'action="/cases/{case_id}/review/approve"' in page
    assert f'action="/cases/{case_id}/review/decline"' in page
    assert_no_secrets(r.text)

    done = await decide(reviewer, case_id, "approve", "Questions right; order typo likely")
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case_id}#review"
    after = await reviewer.get(f"/cases/{case_id}")
    page = html.unescape(after.text)
    assert NOTICES["approve"] in page
    assert 'Approved</strong> by <span class="decision-by">you' in page
    assert "Questions right; order typo likely" in page
    assert "/review/approve" not in page and "/review/decline" not in page
    assert_no_secrets(after.text)
    stored = await stored_recovery(hosts.world, recovery_id)
    assert stored.state is RecoveryState.WAITING and stored.decided_by is not None
    assert stored.decision_reason == "Questions right; order typo likely"
    entries = await audit_of(hosts.world, stored.account_id)
    approved = [e for e in entries if e.action is AuditAction.RECOVERY_APPROVED]
    assert len(approved) == 1
    await hosts.world.deliver()  # the new contact hears of the wait (the flow's own text)
    assert [m.to for m in hosts.world.mailer.sent].count(NEW_CONTACT) == 1
    # The notice is for the redirect alone: a minute later it is gone.
    hosts.world.clock.advance(seconds=61)
    assert NOTICES["approve"] not in html.unescape((await reviewer.get(f"/cases/{case_id}")).text)


async def test_a_decline_is_final_and_a_second_decision_is_refused(
    hosts: Hosts, staff: Staff
) -> None:
    recovery_id, case_id = await recovery_in_review(hosts.world, two_step=True)
    reviewer = await reviewer_of(staff)
    page = html.unescape((await reviewer.get(f"/cases/{case_id}")).text)
    assert "Warning signs" in page and WEAK_LABELS["two_step"] in page
    r = await decide(reviewer, case_id, "decline", "Order wrong and account very new")
    assert r.status_code == 303
    page = html.unescape((await reviewer.get(f"/cases/{case_id}")).text)
    assert NOTICES["decline"] in page and "Declined</strong> by" in page
    assert "Order wrong and account very new" in page and "/review/" not in page
    again = await decide(reviewer, case_id, "approve", "Changed my mind")
    assert again.status_code == 410, again.status_code
    assert "no longer waiting for a decision" in again.text and 'role="alert"' in again.text
    assert "/review/approve" not in again.text and "Declined</strong> by" in again.text
    stored = await stored_recovery(hosts.world, recovery_id)
    assert stored.state is RecoveryState.DECLINED
    await hosts.world.deliver()  # told that we could not verify it, but not at once
    assert [m.to for m in hosts.world.mailer.sent].count(NEW_CONTACT) == 0
    hosts.world.clock.advance(days=2)  # past the latest a refusal's answer can come
    await hosts.world.deliver()
    assert [m.to for m in hosts.world.mailer.sent].count(NEW_CONTACT) == 1
    assert stored.decision_reason == "Order wrong and account very new"


async def test_past_the_deadline_no_decision_is_offered_and_it_is_declined_automatically(
    hosts: Hosts, staff: Staff
) -> None:
    recovery_id, case_id = await recovery_in_review(hosts.world)
    deadline = (await stored_recovery(hosts.world, recovery_id)).wait_until
    assert deadline is not None
    hosts.world.clock.advance(seconds=(deadline - hosts.world.clock.now()).total_seconds())
    reviewer = await reviewer_of(staff)  # signed in now: a console session would idle out
    page = html.unescape((await reviewer.get(f"/cases/{case_id}")).text)
    assert "/review/approve" not in page and "no longer waiting for review" in page
    late = await decide(reviewer, case_id, "approve", "Known customer")
    assert late.status_code == 410
    assert await pending.move_along(hosts.world.deps) == 1
    page = html.unescape((await reviewer.get(f"/cases/{case_id}")).text)
    assert 'Declined</strong> <span class="decision-by">automatically' in page
    assert "not reviewed in time" in page and "Decide by" not in page
    assert (await stored_recovery(hosts.world, recovery_id)).state is RecoveryState.DECLINED


async def test_a_reason_is_required(hosts: Hosts, staff: Staff) -> None:
    recovery_id, case_id = await recovery_in_review(hosts.world)
    reviewer = await reviewer_of(staff)
    for decision in ("approve", "decline"):
        for blank in ("", "   \n "):
            r = await decide(reviewer, case_id, decision, blank)
            assert r.status_code == 422, r.text
            assert f'id="reason-{decision}-error"' in r.text
            assert "Recovery review" in r.text  # the case again, its forms still there
            assert f"/review/{decision}" in r.text
    assert (await stored_recovery(hosts.world, recovery_id)).state is RecoveryState.REVIEW


async def test_decisions_need_the_consoles_csrf(hosts: Hosts, staff: Staff) -> None:
    recovery_id, case_id = await recovery_in_review(hosts.world)
    reviewer = await reviewer_of(staff)
    for data in ({"reason": "Looks fine"}, {"reason": "Looks fine", "csrf": "forged"}):
        r = await reviewer.post(f"/cases/{case_id}/review/approve", data=data)
        assert r.status_code == 403, r.text
    assert (await stored_recovery(hosts.world, recovery_id)).state is RecoveryState.REVIEW


async def test_security_33_an_agent_or_another_sites_reviewer_gets_404(
    hosts: Hosts, staff: Staff
) -> None:
    recovery_id, case_id = await recovery_in_review(hosts.world)
    agent = await staff("agent@staff.example", frozenset({Role.AGENT}), ["us"])
    uk_reviewer = await staff("uk-rev@staff.example", frozenset({Role.REVIEWER}), ["uk"])
    for client in (agent, uk_reviewer):
        page = await client.get(f"/cases/{case_id}")
        missing = await client.get("/cases/no-such-case")
        assert page.status_code == 404 and page.text == missing.text  # the very same page
        for decision in ("approve", "decline"):
            r = await decide(client, case_id, decision, "Let them in")
            assert r.status_code == 404, r.text
    assert (await stored_recovery(hosts.world, recovery_id)).state is RecoveryState.REVIEW


async def test_an_unknown_decision_is_a_404(hosts: Hosts, staff: Staff) -> None:
    recovery_id, case_id = await recovery_in_review(hosts.world)
    reviewer = await reviewer_of(staff)
    r = await decide(reviewer, case_id, "grant", "Let them in")
    assert r.status_code == 404
    assert (await stored_recovery(hosts.world, recovery_id)).state is RecoveryState.REVIEW


async def test_security_35_no_answer_or_order_detail_reaches_the_page(
    hosts: Hosts, staff: Staff
) -> None:
    """The answers Ana set, the order the store holds and the order typed: none of it is on
    the case page, before or after a decision, nor in the thread's system entry."""
    _, case_id = await recovery_in_review(hosts.world)
    reviewer = await reviewer_of(staff)
    before = await reviewer.get(f"/cases/{case_id}")
    assert before.status_code == 200 and "Recovery review" in before.text
    assert_no_secrets(before.text)
    await decide(reviewer, case_id, "decline", "Not convinced")
    after = await reviewer.get(f"/cases/{case_id}")
    assert "Declined" in after.text
    assert_no_secrets(after.text)
    queue_page = await reviewer.get("/cases?state=")
    assert_no_secrets(queue_page.text)


async def test_other_topics_show_no_review_panel(hosts: Hosts, staff: Staff) -> None:
    _account, _session, case_id = await locked_signed_in_case(hosts.world)
    both = await staff("both@staff.example", frozenset({Role.REVIEWER, Role.AGENT}), ["us"])
    page = await both.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "Account summary" in page.text
    assert "Recovery review" not in page.text


def test_each_check_reads_as_its_verdict_and_nothing_else() -> None:
    """Every value the flow stores maps to fixed words; anything else (an order number,
    say) reads as not known and is never echoed."""
    assert {k: v.verdict for k, v in QUESTIONS.items()} == {
        "right": "Right",
        "wrong": "Wrong",
        "not_set": "Not set up",
    }
    assert {k: v.verdict for k, v in ORDERS.items()} == {
        "matched": "Right",
        "not_matched": "Wrong",
        "no_orders": "No orders to ask about",
        "lookup_unavailable": "Order lookup unavailable",
        "no_lookup": "No order lookup set up",
    }
    # Whatever the flow can store, the panel has words for.
    for flags in itertools.product([False, True], repeat=4):
        for how in ("answered", "unavailable", "no_lookup"):
            stored = signals(Evidence(*flags), how, Outcome.REVIEW)
            assert "Not known" not in [c.verdict for c in checks_of(stored)], (flags, how)
    # Every warning sign the evidence can raise has its words on the panel.
    every_weak = Evidence(**{f.name: True for f in dataclasses.fields(Evidence)})
    assert set(every_weak.weak) == set(WEAK_LABELS)
    assert set(signals(every_weak, "answered", Outcome.REVIEW)["weak"]) == set(WEAK_LABELS)
    odd = checks_of({"questions": ANSWERS[0][1], "order": STORE_ORDER.number})
    assert [c.verdict for c in odd] == ["Not known", "Not known"]
    assert [c.verdict for c in checks_of({})] == ["Not known", "Not known"]
