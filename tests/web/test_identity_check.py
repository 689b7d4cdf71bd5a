"""The identity check and a pending recovery's links over HTTP, pages and JSON API: the walk
to Recovery requested, identical answers whatever the identifier, the This wasn't me and
Finish recovering your account links, and the guards every form keeps."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from entryway.adapters.orders_twin import MemoryOrders
from entryway.bootstrap import app_for
from entryway.core.recovery import RecoveryState
from entryway.flows.account import questions
from entryway.flows.ports import Order, Recovery
from entryway.flows.recovery import pending
from tests.conftest import World
from tests.flows.test_questions import GOOD, WHO, signed_in
from tests.web.helpers import csrf_of, sign_in, submit
from tests.web.test_security_cases import make_account, scrub, stable_headers

ANA = "ana@example.com"
NEW = "ana.new@example.net"
NEW_PASSWORD = "harbour-lights-at-dusk"
ORDER = Order(
    number="US-20417",
    placed_at=date(2026, 1, 20),
    total=Decimal("42.50"),
    currency="USD",
    items=("Green tea",),
    postcode="10001",
)
RIGHT_ANSWERS = [answer for _question, answer in GOOD]
ASKED = [
    "What was the name of your first pet?",
    "On what street did you live when you were ten?",
    "What was the first film you saw at a cinema?",
]
CANCEL_LINK = re.compile(r"/recovery/cancel\?token=([A-Za-z0-9_-]+)")
FINISH_LINK = re.compile(r"/recovery/finish\?token=([A-Za-z0-9_-]+)")
STEPS = ["/recovery/questions", "/recovery/order", "/recovery/contact", "/recovery/code"]


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """The US site, its store knowing one recent order of Ana's (the demo's twin)."""
    shop = MemoryOrders()
    shop.add("us", ANA, [ORDER])
    world.runtime.deps = dataclasses.replace(world.runtime.deps, orders=shop)
    app = app_for(world.runtime, deliver=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://us.localhost:8000", follow_redirects=False
    ) as c:
        yield c


async def ana(world: World, *, with_questions: bool = True) -> None:
    """Ana's account (email and phone, both verified) with her questions, set long enough
    ago that nothing about it counts as a recent change."""
    me = await signed_in(world)
    if with_questions:
        await questions.set_answers(world.deps, me, GOOD, WHO)
    world.clock.advance(days=8)


def words(r: httpx.Response) -> str:
    return html.unescape(r.text)


def main_of(r: httpx.Response) -> str:
    """The page's main content, without the CSRF token and the questions' own texts (an
    unknown identifier is asked other questions than an account is, in the same form)."""
    body = scrub(words(r)).split('<main id="main">')[1].split("</main>")[0]
    return re.sub(r'(<label for="answer_\d">)[^<]*(</label>)', r"\1Q\2", body)


async def walk(
    client: httpx.AsyncClient,
    world: World,
    identifier: str,
    *,
    answers: list[str] = RIGHT_ANSWERS,
    order: tuple[str, str] = ("US-20417", "42.50"),
    contact: str = NEW,
) -> list[httpx.Response]:
    """Every page and form answer of one check, in order, ending at Recovery requested."""
    seen = [await client.get("/recovery")]
    seen.append(
        await client.post(
            "/recovery", data={"csrf": csrf_of(seen[0].text), "identifier": identifier}
        )
    )
    forms: list[dict[str, str]] = [
        {f"answer_{n}": a for n, a in enumerate(answers, 1)},
        {"order_number": order[0], "order_total": order[1]},
        {"contact": contact},
    ]
    for path, data in zip(STEPS, forms, strict=False):
        assert seen[-1].headers["location"] == path, (path, seen[-1].text)
        page = await client.get(path)
        seen += [page, await client.post(path, data={"csrf": csrf_of(page.text), **data})]
    assert seen[-1].headers["location"] == "/recovery/code"
    page = await client.get("/recovery/code")
    wrong = await client.post("/recovery/code", data={"csrf": csrf_of(page.text), "code": "000000"})
    code = await world.code(contact)
    done = await client.post("/recovery/code", data={"csrf": csrf_of(page.text), "code": code})
    seen += [page, wrong, done, await client.get(done.headers["location"])]
    return seen


async def live_recovery(world: World) -> Recovery | None:
    async with world.deps.uow() as uow:
        found = await uow.recoveries.in_states(list(RecoveryState), limit=10)
    return found[0] if found else None


# -- the check through the pages ------------------------------------------------------------


async def test_the_whole_walk_through_the_pages_ends_at_recovery_requested(
    client: httpx.AsyncClient, world: World
) -> None:
    await ana(world)
    start = await client.get("/recovery")
    assert start.status_code == 200 and "Email or mobile phone number" in start.text
    assert ">Continue</button>" in start.text
    r = await client.post("/recovery", data={"csrf": csrf_of(start.text), "identifier": ANA})
    assert r.status_code == 303 and r.headers["location"] == "/recovery/questions"
    assert "ew_recovery" in r.cookies and "token" not in r.headers["location"]

    page = await client.get("/recovery/questions")
    assert page.status_code == 200 and "<h1>Verify your identity</h1>" in page.text
    assert page.headers["cache-control"] == "no-store"
    for n, text in enumerate(ASKED, 1):  # each field labelled by its own question
        assert f'<label for="answer_{n}">{html.escape(text)}</label>' in page.text
    answers = {f"answer_{n}": a for n, a in enumerate(RIGHT_ANSWERS, 1)}
    r = await client.post("/recovery/questions", data={"csrf": csrf_of(page.text), **answers})
    assert r.status_code == 303 and r.headers["location"] == "/recovery/order"

    page = await client.get("/recovery/order")
    assert "<h1>Confirm a recent order</h1>" in page.text
    assert '<label for="order_number">Order number</label>' in page.text
    assert '<label for="order_total">Order total</label>' in page.text and "USD" in page.text
    assert "US-20417" not in page.text and "Green tea" not in page.text  # nothing looked up
    r = await client.post(
        "/recovery/order",
        data={"csrf": csrf_of(page.text), "order_number": "us-20417 ", "order_total": "42.50"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/recovery/contact"

    page = await client.get("/recovery/contact")
    assert '<label for="contact">New email or mobile phone number</label>' in page.text
    r = await client.post("/recovery/contact", data={"csrf": csrf_of(page.text), "contact": NEW})
    assert r.status_code == 303 and r.headers["location"] == "/recovery/code"

    page = await client.get("/recovery/code")
    assert '<label for="code">Enter OTP</label>' in page.text and "a***@example.net" in page.text
    assert "Resend OTP" in page.text
    code = await world.code(NEW)
    r = await client.post("/recovery/code", data={"csrf": csrf_of(page.text), "code": code})
    assert r.status_code == 303 and r.headers["location"] == "/recovery/requested"
    assert "ew_recovery" not in client.cookies  # the flow is over

    done = await client.get("/recovery/requested")
    assert "<h1>Recovery requested</h1>" in done.text and "a***@example.net" in done.text
    assert "we'll" in words(done).lower() or "We'll" in words(done)
    again = await client.get("/recovery/requested")  # a reload: the same page, minus the name
    assert "<h1>Recovery requested</h1>" in again.text and "a***@example.net" not in again.text

    recovery = await live_recovery(world)
    assert recovery is not None and recovery.state == RecoveryState.REQUESTED
    assert recovery.new_contact == NEW and recovery.questions_right
    assert (await client.get("/account")).status_code == 303  # nobody was signed in


async def test_unknown_and_known_identifiers_walk_the_same_pages(
    client: httpx.AsyncClient, world: World
) -> None:
    """SECURITY.md 17 and 1: the same statuses, addresses, headers and page bodies (but for
    the questions' texts) for an account with questions, one without, an unknown address,
    and an account that has a recovery under way already; wrong answers change nothing."""
    await ana(world)
    await make_account(world, "bo@example.com")  # no questions set
    walks = [
        (ANA, RIGHT_ANSWERS, "n1@example.net"),
        ("nobody@example.com", RIGHT_ANSWERS, "n2@example.net"),
        ("bo@example.com", ["x", "y", "z"], "n3@example.net"),
        (ANA, ["wrong", "wrong", "wrong"], "n4@example.net"),  # a live recovery exists
    ]
    seen = []
    for identifier, answers, contact in walks:
        client.cookies.clear()
        responses = await walk(client, world, identifier, answers=answers, contact=contact)
        seen.append(
            [
                (
                    r.status_code,
                    r.headers.get("location", ""),
                    stable_headers(r),
                    main_of(r) if r.status_code < 300 or r.status_code >= 400 else "",
                )
                for r in responses
            ]
        )
    assert all(s == seen[0] for s in seen[1:]), "the pages tell identifiers apart"
    # Behind the same pages: a recovery for each real account (Bo's goes to a person, having
    # no questions), none for the unknown address, and no second one while Ana's is open.
    async with world.deps.uow() as uow:
        every = await uow.recoveries.in_states(list(RecoveryState), limit=10)
    assert sorted(r.new_contact for r in every) == ["n1@example.net", "n3@example.net"]


async def test_errors_sit_beside_their_fields_and_the_input_stays(
    client: httpx.AsyncClient, world: World
) -> None:
    start = await client.get("/recovery")
    r = await client.post(
        "/recovery", data={"csrf": csrf_of(start.text), "identifier": "not an address"}
    )
    assert r.status_code == 422 and 'id="identifier-error"' in r.text
    assert 'value="not an address"' in r.text
    r = await submit(client, "/recovery", "/recovery", {"identifier": "nobody@example.com"})
    page = await client.get("/recovery/questions")
    r = await client.post("/recovery/questions", data={"csrf": csrf_of(page.text), "answer_1": "a"})
    assert r.status_code == 422 and 'id="answer_2-error"' in r.text  # the first one left blank
    assert "answer_1-error" not in r.text and 'value="a"' not in r.text  # answers never shown
    answers = {"answer_1": "a", "answer_2": "b", "answer_3": "c"}
    r = await client.post("/recovery/questions", data={"csrf": csrf_of(page.text), **answers})
    assert r.headers["location"] == "/recovery/order"  # wrong, and nothing says so

    page = await client.get("/recovery/order")
    r = await client.post(
        "/recovery/order",
        data={"csrf": csrf_of(page.text), "order_number": " ", "order_total": "12.00"},
    )
    assert r.status_code == 422 and 'id="order_number-error"' in r.text
    assert 'aria-describedby="order_number-error"' in r.text and 'value="12.00"' in r.text
    r = await client.post(
        "/recovery/order",
        data={"csrf": csrf_of(page.text), "order_number": "A-1", "order_total": "lots"},
    )
    assert r.status_code == 422 and 'id="order_total-error"' in r.text
    assert "order_number-error" not in r.text and 'value="A-1"' in r.text
    r = await client.post(
        "/recovery/order",
        data={"csrf": csrf_of(page.text), "order_number": "A-1", "order_total": "9.99"},
    )
    assert r.headers["location"] == "/recovery/contact"

    page = await client.get("/recovery/contact")
    r = await client.post("/recovery/contact", data={"csrf": csrf_of(page.text), "contact": "nope"})
    assert r.status_code == 422 and 'id="contact-error"' in r.text and 'value="nope"' in r.text
    r = await client.post("/recovery/contact", data={"csrf": csrf_of(page.text), "contact": NEW})
    page = await client.get("/recovery/code")
    r = await client.post("/recovery/code", data={"csrf": csrf_of(page.text), "code": "000000"})
    assert r.status_code == 422 and 'id="code-error"' in r.text
    r = await client.post("/recovery/code", data={"csrf": csrf_of(page.text), "action": "resend"})
    assert r.status_code == 429 and 'role="alert"' in r.text  # too soon: said at the button
    world.clock.advance(seconds=31)
    r = await client.post("/recovery/code", data={"csrf": csrf_of(page.text), "action": "resend"})
    assert r.status_code == 303 and r.headers["location"] == "/recovery/code?resent=1"
    resent = await client.get(r.headers["location"])
    assert "We sent a new OTP to a***@example.net." in words(resent)


async def test_pages_out_of_order_go_to_the_step_the_check_is_at(
    client: httpx.AsyncClient, world: World
) -> None:
    for path in [*STEPS, "/recovery/code"]:
        r = await client.get(path)  # no check at all
        assert r.status_code == 303 and r.headers["location"] == "/recovery?expired=1", path
    again = await client.get("/recovery?expired=1")
    assert "start again" in again.text
    await submit(client, "/recovery", "/recovery", {"identifier": "nobody@example.com"})
    for path in STEPS[1:]:
        r = await client.get(path)
        assert r.headers["location"] == "/recovery/questions", path
    page = await client.get("/recovery/questions")
    r = await client.post(
        "/recovery/contact", data={"csrf": csrf_of(page.text), "contact": NEW}
    )  # skipping the questions and the order
    assert r.status_code in (303, 410) and r.headers.get("location", "") != "/recovery/code"
    assert (await client.get("/recovery/questions")).status_code == 200


async def test_the_reset_link_opens_the_check_for_that_identifier(
    client: httpx.AsyncClient, world: World
) -> None:
    await ana(world)
    r = await submit(client, "/password/forgot", "/password/forgot", {"identifier": ANA})
    choose = await client.get(r.headers["location"])
    link = re.search(
        r'<a href="([^"]+)">I no longer have access to this phone number/email</a>', choose.text
    )
    assert link is not None and link.group(1) == "/recovery?start=reset"
    r = await client.get(link.group(1))
    assert r.status_code == 303 and r.headers["location"] == "/recovery/questions"
    page = await client.get("/recovery/questions")
    assert all(html.escape(text) in page.text for text in ASKED)  # Ana's own questions

    client.cookies.clear()  # a browser that typed no identifier: the start page, empty
    r = await client.get("/recovery?start=reset")
    assert r.status_code == 200 and 'name="identifier" type="text" value=""' in r.text


async def test_every_form_needs_its_csrf_token(client: httpx.AsyncClient, world: World) -> None:
    await ana(world)
    r = await client.post("/recovery", data={"identifier": ANA})
    assert r.status_code == 403 and "ew_recovery" not in r.cookies
    await submit(client, "/recovery", "/recovery", {"identifier": ANA})
    answers = {f"answer_{n}": a for n, a in enumerate(RIGHT_ANSWERS, 1)}
    r = await client.post("/recovery/questions", data={**answers, "csrf": "forged"})
    assert r.status_code == 403
    assert (await client.get("/recovery/questions")).status_code == 200  # still at that step
    for path in ("/recovery/order", "/recovery/contact", "/recovery/code"):
        assert (await client.post(path, data={})).status_code == 403, path
    for path in ("/recovery/cancel/confirm", "/recovery/finish/password"):
        assert (await client.post(path, data={"password": "x"})).status_code == 403, path


# -- This wasn't me and Finish recovering your account --------------------------------------


async def requested_and_waiting(client: httpx.AsyncClient, world: World) -> None:
    """Ana's account recovered by someone with her answers and order: the waiting period
    runs and her old contacts were told, each with a This wasn't me link."""
    await ana(world)
    await walk(client, world, ANA)
    client.cookies.clear()
    await pending.evaluate_requested(world.deps)
    await world.deliver()
    recovery = await live_recovery(world)
    assert recovery is not None and recovery.state == RecoveryState.WAITING


def link_in(world: World, to: str, pattern: re.Pattern[str]) -> str:
    for message in reversed(world.mailer.sent):
        if message.to == to and (found := pattern.search(message.body)):
            return found.group(0)
    for text in reversed(world.texter.sent):
        if text.to == to and (found := pattern.search(text.body)):
            return found.group(0)
    raise AssertionError(f"no such link was sent to {to}")


async def test_this_wasnt_me_landing_swaps_the_token_and_uses_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    await requested_and_waiting(client, world)
    link = link_in(world, ANA, CANCEL_LINK)
    for _ in range(2):  # a mail scanner first, then the owner: opening spends nothing
        client.cookies.clear()
        r = await client.get(link)
        assert r.status_code == 303 and r.headers["location"] == "/recovery/cancel/confirm"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "ew_rcancel" in r.cookies and "token" not in r.headers["location"]
    page = await client.get("/recovery/cancel/confirm")
    assert "<h1>Someone asked to recover your account</h1>" in page.text
    assert ">Cancel the recovery</button>" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert (await live_recovery(world)).state == RecoveryState.WAITING  # type: ignore[union-attr]
    r = await client.post("/recovery/cancel/confirm", data={"csrf": "forged"})
    assert r.status_code == 403  # a cross-site form cannot cancel it
    assert (await live_recovery(world)).state == RecoveryState.WAITING  # type: ignore[union-attr]

    r = await client.post("/recovery/cancel/confirm", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/recovery/cancel/done"
    done = words(await client.get(r.headers["location"]))
    assert "Recovery cancelled" in done and "signed out every device" in done
    assert 'href="/password/forgot"' in done  # change the password, to be safe
    assert (await live_recovery(world)).state == RecoveryState.CANCELLED  # type: ignore[union-attr]

    r = await client.get(link)  # used: the dead end, still token-free and unstored
    assert r.headers["location"] == "/recovery/cancel/expired"
    assert r.headers["cache-control"] == "no-store"
    assert (await client.get(r.headers["location"])).status_code == 410
    r = await client.get("/recovery/cancel?token=" + "A" * 43)
    assert r.headers["location"] == "/recovery/cancel/expired"


async def test_finish_link_then_a_new_password_and_sign_in_with_the_new_contact(
    client: httpx.AsyncClient, world: World
) -> None:
    await requested_and_waiting(client, world)
    world.clock.advance(hours=73)
    while await pending.move_along(world.deps):
        pass
    await world.deliver()
    link = link_in(world, NEW, FINISH_LINK)
    for _ in range(2):
        client.cookies.clear()
        r = await client.get(link)
        assert r.status_code == 303 and r.headers["location"] == "/recovery/finish/password"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "no-referrer"
    page = await client.get("/recovery/finish/password")
    assert "<h1>Create new password</h1>" in page.text and "a***@example.net" in page.text
    forged = {"csrf": "forged", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert (await client.post("/recovery/finish/password", data=forged)).status_code == 403
    assert '<label for="password_again">Re-enter password</label>' in page.text
    r = await client.post(
        "/recovery/finish/password",
        data={"csrf": csrf_of(page.text), "password": NEW_PASSWORD, "password_again": "other"},
    )
    assert r.status_code == 422 and 'id="password_again-error"' in r.text
    r = await client.post(
        "/recovery/finish/password",
        data={"csrf": csrf_of(page.text), "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert r.status_code == 303 and r.headers["location"] == "/recovery/finish/done"
    done = words(await client.get(r.headers["location"]))
    assert "Sign in with your new password" in done and "Two-step verification" in done
    assert (await client.get("/account")).status_code == 303  # finishing signs nobody in

    assert (await client.get(link)).headers["location"] == "/recovery/finish/expired"
    r = await sign_in(client, NEW, NEW_PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    client.cookies.clear()  # the lost email is no longer a way in
    assert (await sign_in(client, ANA, NEW_PASSWORD)).headers.get("location") != "/account"


# -- the JSON API ---------------------------------------------------------------------------


def api_shape(body: Any) -> Any:
    """The answer with what may differ between identifiers blanked: ids and question texts."""
    if isinstance(body, dict):
        return {
            k: ("*" if k in {"flow_id", "text", "id"} else api_shape(v)) for k, v in body.items()
        }
    if isinstance(body, list):
        return [api_shape(v) for v in body]
    return body


async def api_walk(
    client: httpx.AsyncClient, world: World, identifier: str, contact: str
) -> list[tuple[int, dict[str, str], Any]]:
    seen = []
    r = await client.post("/api/v1/identity-checks", json={"identifier": identifier})
    body = r.json()
    seen.append(r)
    flow = body["flow_id"]
    assert body["next"] == "questions" and len(body["questions"]) == 3, body
    for path, extra in (
        ("answers", {"answers": RIGHT_ANSWERS}),
        ("order", {"order_number": "US-20417", "order_total": "42.50"}),
        ("contact", {"contact": contact}),
    ):
        seen.append(
            await client.post(f"/api/v1/identity-checks/{path}", json={"flow_id": flow, **extra})
        )
    seen.append(
        await client.post(
            "/api/v1/identity-checks/verify", json={"flow_id": flow, "code": "000000"}
        )
    )
    seen.append(await client.post("/api/v1/identity-checks/resend", json={"flow_id": flow}))
    code = await world.code(contact)
    seen.append(
        await client.post("/api/v1/identity-checks/verify", json={"flow_id": flow, "code": code})
    )
    return [(r.status_code, stable_headers(r), api_shape(r.json())) for r in seen]


async def test_the_api_answers_the_same_for_every_identifier(
    client: httpx.AsyncClient, world: World
) -> None:
    await ana(world)
    known = await api_walk(client, world, ANA, "m1@example.net")
    unknown = await api_walk(client, world, "nobody@example.com", "m2@example.net")
    assert known == unknown
    statuses = [status for status, _headers, _body in known]
    assert statuses == [201, 200, 200, 200, 422, 422, 200], known
    assert known[0][2]["currency"] == "USD" and known[-1][2] == {"next": "done"}
    assert known[3][2]["next"] == "code" and known[3][2]["sent_to"] == "m***@example.net"
    async with world.deps.uow() as uow:
        every = await uow.recoveries.in_states(list(RecoveryState), limit=10)
    assert [r.new_contact for r in every] == ["m1@example.net"]


async def test_the_api_refuses_bad_input_by_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/identity-checks", json={"identifier": "nobody@example.com"})
    flow = r.json()["flow_id"]
    r = await client.post(
        "/api/v1/identity-checks/answers", json={"flow_id": flow, "answers": ["a", "b"]}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "answers"
    r = await client.post(
        "/api/v1/identity-checks/answers", json={"flow_id": flow, "answers": ["a", "b", 3]}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "answers.2"
    r = await client.post(
        "/api/v1/identity-checks/answers", json={"flow_id": flow, "answers": ["a", "b", "c"]}
    )
    assert r.status_code == 200 and r.json()["next"] == "order"
    r = await client.post(
        "/api/v1/identity-checks/order",
        json={"flow_id": flow, "order_number": "", "order_total": "1"},
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "order_number"
    r = await client.post(
        "/api/v1/identity-checks/order",
        json={"flow_id": flow, "order_number": "A-1", "order_total": 42.5},
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "order_total"  # a string
    r = await client.post("/api/v1/identity-checks/resend", json={"flow_id": "no-such-flow"})
    assert r.status_code == 410 and r.json()["error"]["code"] == "flow_expired"


async def test_the_api_cancels_and_finishes_by_token(
    client: httpx.AsyncClient, world: World
) -> None:
    await requested_and_waiting(client, world)
    token = link_in(world, ANA, CANCEL_LINK).rpartition("=")[2]
    r = await client.post(
        "/api/v1/recovery/finish", json={"token": token, "password": NEW_PASSWORD}
    )
    assert r.status_code == 410  # a cancel link finishes nothing
    r = await client.post("/api/v1/recovery/cancel", json={"token": token})
    assert r.status_code == 204, r.text
    assert (await live_recovery(world)).state == RecoveryState.CANCELLED  # type: ignore[union-attr]
    r = await client.post("/api/v1/recovery/cancel", json={"token": token})
    assert r.status_code == 410 and r.json()["error"]["code"] == "flow_expired"


async def test_the_api_finishes_a_ready_recovery(client: httpx.AsyncClient, world: World) -> None:
    await requested_and_waiting(client, world)
    world.clock.advance(hours=73)
    while await pending.move_along(world.deps):
        pass
    await world.deliver()
    token = link_in(world, NEW, FINISH_LINK).rpartition("=")[2]
    body = {"token": token, "password": NEW_PASSWORD}
    r = await client.post("/api/v1/recovery/finish", json={**body, "password_again": "x"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "password_again"
    assert (await client.post("/api/v1/recovery/finish", json=body)).status_code == 204
    assert (await client.post("/api/v1/recovery/finish", json=body)).status_code == 410
    r = await client.post("/api/v1/sign-in", json={"identifier": NEW, "password": NEW_PASSWORD})
    assert r.status_code == 200 and r.json()["next"] == "done"


async def test_the_openapi_document_lists_the_journey(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for step in ("", "/answers", "/order", "/contact", "/resend", "/verify"):
        assert "410" in paths[f"/api/v1/identity-checks{step}"]["post"]["responses"] or not step
    assert set(paths["/api/v1/recovery/cancel"]["post"]["responses"]) >= {"204", "410", "422"}
    assert set(paths["/api/v1/recovery/finish"]["post"]["responses"]) >= {"204", "410", "422"}


async def test_enter_otp_leads_back_to_correct_the_contact(
    client: httpx.AsyncClient, world: World
) -> None:
    await ana(world)
    start = await client.get("/recovery")
    await client.post("/recovery", data={"csrf": csrf_of(start.text), "identifier": ANA})
    forms = [
        {f"answer_{n}": a for n, a in enumerate(RIGHT_ANSWERS, 1)},
        {"order_number": "US-20417", "order_total": "$42.50"},
        {"contact": "ana.typo@example.net"},
    ]
    for path, data in zip(STEPS, forms, strict=False):
        page = await client.get(path)
        await client.post(path, data={"csrf": csrf_of(page.text), **data})
    page = await client.get("/recovery/code")
    assert "Use a different email or phone number" in words(page)
    back = await client.post(
        "/recovery/code", data={"csrf": csrf_of(page.text), "action": "change"}
    )
    assert back.status_code == 303 and back.headers["location"] == "/recovery/contact"
    form = await client.get("/recovery/contact")
    assert form.status_code == 200 and "New email or mobile phone number" in words(form)
    world.clock.advance(seconds=1)
    sent = await client.post("/recovery/contact", data={"csrf": csrf_of(form.text), "contact": NEW})
    assert sent.headers["location"] == "/recovery/code"
    code_page = await client.get("/recovery/code")
    assert "a***@example.net" in words(code_page)
    # The code went to the corrected address, and the typo's code no longer fits.
    typo_code = await world.code("ana.typo@example.net")
    wrong = await client.post(
        "/recovery/code", data={"csrf": csrf_of(code_page.text), "code": typo_code}
    )
    assert wrong.status_code == 422 and "isn't right" in words(wrong)
    done = await client.post(
        "/recovery/code", data={"csrf": csrf_of(code_page.text), "code": await world.code(NEW)}
    )
    assert done.headers["location"] == "/recovery/requested"
    recovery = await live_recovery(world)
    assert recovery is not None and recovery.new_contact == NEW
