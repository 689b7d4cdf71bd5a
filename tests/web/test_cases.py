"""Ask us and the customer's side of a case, over HTTP: pages and JSON API."""

from __future__ import annotations

import re

import httpx

from entryway.core.staff import Actor, Role
from entryway.flows.support import queue
from tests.conftest import World
from tests.web.helpers import register, sign_in, submit

AGENT = Actor("s-agent", "agent@acme-market.example", frozenset({Role.AGENT}), frozenset({"us"}))
LINK = re.compile(r"http://us\.localhost:8000(/cases/open/[A-Za-z0-9_-]+)")


async def _ask_signed_out(client: httpx.AsyncClient, contact: str) -> httpx.Response:
    return await submit(
        client,
        "/help/ask",
        "/help/ask",
        {
            "name": "Sam Doe",
            "contact": contact,
            "topic": "locked",
            "message": "My account says it is locked and I never got the email.",
        },
    )


async def _link_sent_to(world: World, to: str) -> str:
    await world.deliver()
    for message in reversed(world.mailer.sent):
        if message.to == to:
            found = LINK.search(message.body)
            if found:
                return found.group(1)
    raise AssertionError(f"no case link was sent to {to}")


async def test_signed_out_case_page_reply_and_agent_answer(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await _ask_signed_out(client, "Sam@Example.com")
    assert r.status_code == 303 and r.headers["location"] == "/help/ask/sent"
    sent = await client.get("/help/ask/sent")
    number = re.search(r"<strong>(\d{8})</strong>", sent.text)
    assert sent.status_code == 200 and number, sent.text
    again = await client.get("/help/ask/sent")  # shown once: a reload goes back to the form
    assert again.status_code == 303

    link = await _link_sent_to(world, "sam@example.com")
    landing = await client.get(link)
    assert landing.status_code == 303 and landing.headers["location"] == "/cases/view"
    assert landing.headers["referrer-policy"] == "no-referrer"
    assert landing.headers["cache-control"] == "no-store"
    page = await client.get("/cases/view")
    assert page.status_code == 200
    assert f"Case {number.group(1)}" in page.text
    assert "never got the email" in page.text and "Your reply" in page.text

    found = await queue.search(world.deps, AGENT, number.group(1))
    assert [c.number for c in found] == [number.group(1)]
    await queue.reply(world.deps, AGENT, found[0].id, "Thanks Sam: we're looking into it.")
    page = await client.get("/cases/view")
    assert "we&#39;re looking into it" in page.text and "Customer Service" in page.text

    r = await submit(client, "/cases/view", "/cases/view/reply", {"reply": "Still locked."})
    assert r.status_code == 303 and r.headers["location"] == "/cases/view?done=sent"
    page = await client.get(r.headers["location"])
    assert "Still locked." in page.text and "Your reply was sent" in page.text
    agent_view = await queue.open_case(world.deps, AGENT, found[0].id)
    assert agent_view.case.state == "open"
    assert [e.body for e in agent_view.entries if e.author == "customer"][-1] == "Still locked."


async def test_same_answer_for_any_contact(client: httpx.AsyncClient, world: World) -> None:
    """Ask us never says whether the contact has an account (SECURITY.md 4, 33)."""
    await register(client, world, identifier="ana@example.com")
    other = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    answers = []
    for c, contact in ((other, "ana@example.com"), (other, "nobody@example.com")):
        r = await _ask_signed_out(c, contact)
        shown = await c.get(r.headers["location"])
        answers.append((r.status_code, r.headers["location"], re.sub(r"\d{8}", "N", shown.text)))
    assert answers[0] == answers[1]


async def test_form_errors_are_tied_to_fields(client: httpx.AsyncClient) -> None:
    r = await submit(
        client,
        "/help/ask",
        "/help/ask",
        {"name": "Sam", "contact": "not an address", "topic": "locked", "message": "Help"},
    )
    assert r.status_code == 422 and 'id="contact-error"' in r.text
    r = await submit(
        client,
        "/help/ask",
        "/help/ask",
        {"name": "Sam", "contact": "sam@example.com", "topic": "appeal", "message": "Help"},
    )
    assert r.status_code == 422 and 'id="topic-error"' in r.text  # not a customer topic
    r = await submit(
        client,
        "/help/ask",
        "/help/ask",
        {"name": "Sam", "contact": "sam@example.com", "topic": "other", "message": "x" * 4001},
    )
    assert r.status_code == 422 and 'id="message-error"' in r.text


async def test_signed_in_case_is_the_accounts(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world, identifier="ana@example.com")
    form = await client.get("/help/ask")
    assert "Your name" not in form.text and "Email or mobile phone number" not in form.text
    r = await submit(
        client, "/help/ask", "/help/ask", {"topic": "two_step", "message": "Lost my phone."}
    )
    assert r.status_code == 303
    listing = await client.get("/account/cases")
    number = re.search(r'href="/account/cases/(\d{8})"', listing.text)
    assert listing.status_code == 200 and number, listing.text
    shown = await client.get(f"/account/cases/{number.group(1)}")
    assert shown.status_code == 200 and "Lost my phone." in shown.text
    assert (await client.get("/account/cases/00000000")).status_code == 404
    assert "Your support cases" in (await client.get("/account")).text


async def test_case_link_is_bound_to_its_site(client: httpx.AsyncClient, world: World) -> None:
    await _ask_signed_out(client, "sam@example.com")
    link = await _link_sent_to(world, "sam@example.com")
    uk = {"host": "uk.localhost:8000"}
    landing = await client.get(link, headers=uk)
    assert landing.status_code == 303
    token = link.rsplit("/", 1)[1]
    page = await client.get("/cases/view", headers={**uk, "cookie": f"ew_case={token}"})
    assert page.status_code == 404 and "couldn" in page.text
    bogus = await client.get("/cases/view", headers={"cookie": "ew_case=" + "x" * 43})
    assert bogus.status_code == 404


async def test_api_ask_read_and_reply(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/cases",
        json={"topic": "other", "message": "Hello", "name": "Sam", "contact": "sam@example.com"},
    )
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    token = (await _link_sent_to(world, "sam@example.com")).rsplit("/", 1)[1]
    r = await client.post("/api/v1/cases/by-link", json={"token": token})
    assert r.status_code == 200 and r.json()["number"] == number
    assert r.json()["entries"][0] == {
        "author": "customer",
        "body": "Hello",
        "at": r.json()["entries"][0]["at"],
    }
    r = await client.post(
        "/api/v1/cases/by-link/replies", json={"token": token, "message": "More detail."}
    )
    assert r.status_code == 200 and r.json()["entries"][-1]["body"] == "More detail."
    r = await client.post("/api/v1/cases/by-link", json={"token": "nope"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await client.post("/api/v1/cases", json={"topic": "other", "message": "Hello"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "name"


async def test_api_signed_in_cases(client: httpx.AsyncClient, world: World) -> None:
    await register(client, world, identifier="ana@example.com")
    r = await client.post(
        "/api/v1/sign-in",
        json={"identifier": "ana@example.com", "password": "quiet-meadow-lantern"},
    )
    token = r.json()["session_token"]
    auth = {"authorization": f"Bearer {token}"}
    r = await client.post(
        "/api/v1/cases", json={"topic": "locked", "message": "Help"}, headers=auth
    )
    assert r.status_code == 201
    number = r.json()["number"]
    listed = await client.get("/api/v1/account/cases", headers=auth)
    assert [c["number"] for c in listed.json()] == [number]
    one = await client.get(f"/api/v1/account/cases/{number}", headers=auth)
    assert one.status_code == 200 and one.json()["entries"][0]["body"] == "Help"
    r = await client.post(
        f"/api/v1/account/cases/{number}/replies", json={"message": "And more"}, headers=auth
    )
    assert r.status_code == 200
    assert (await client.get("/api/v1/account/cases")).status_code == 401


async def test_signed_in_form_says_whose_case_it_is(
    client: httpx.AsyncClient, world: World
) -> None:
    """Signed in again later, the customer gets the short form, attached to the account."""
    await register(client, world, identifier="ana@example.com")
    await client.post("/signout", data={})
    fresh = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    r = await sign_in(fresh, "ana@example.com", "quiet-meadow-lantern")
    assert r.status_code == 303
    form = await fresh.get("/help/ask")
    assert "attached to your account, Ana Lopez" in form.text
    assert 'name="contact"' not in form.text


async def test_reset_code_sent_by_an_agent_is_entered_from_the_case(
    client: httpx.AsyncClient, world: World
) -> None:
    from entryway.flows.support import agent

    await register(client, world, identifier="ana@example.com")
    await submit(client, "/help/ask", "/help/ask", {"topic": "forgot_password", "message": "?"})
    listing = await client.get("/account/cases")
    number = re.search(r'href="/account/cases/(\d{8})"', listing.text)
    assert number
    case = (await queue.search(world.deps, AGENT, number.group(1)))[0]
    before = await client.get(f"/account/cases/{number.group(1)}")
    assert "Reset your password" not in before.text
    await agent.send_reset_code(world.deps, AGENT, case.id, 0, "Customer asked for a reset")
    page = f"/account/cases/{number.group(1)}"
    shown = await client.get(page)
    assert "Reset your password" in shown.text
    r = await submit(client, page, page + "/reset", {})
    assert r.status_code == 303 and r.headers["location"] == "/password/forgot/code"
    code_page = await client.get(r.headers["location"])
    assert code_page.status_code == 200 and "Enter OTP" in code_page.text
