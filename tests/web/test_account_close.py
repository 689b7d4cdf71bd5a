"""Close your account over HTTP: the pages (password, code, the closed page, CSRF), the
refusal a right password then gets on the sign-in pages, and the JSON API with its
OpenAPI description."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.web.helpers import csrf_of, register, sign_in, submit
from tests.web.test_api import PW, api_account

EMAIL = "ana@example.com"


async def test_the_pages_close_the_account_after_the_password_and_the_code(
    client: httpx.AsyncClient, world: World
) -> None:
    await register(client, world)
    overview = await client.get("/account")
    assert 'href="/account/close"' in overview.text
    page = await client.get("/account/close")
    assert page.status_code == 200 and "What happens" in page.text and "30 days" in page.text
    forged = await client.post("/account/close", data={"csrf": "forged", "password": PW})
    assert forged.status_code == 403  # SECURITY.md 25
    wrong = await client.post(
        "/account/close", data={"csrf": csrf_of(page.text), "password": "not-the-password"}
    )
    assert wrong.status_code == 422 and "incorrect" in wrong.text
    started = await submit(client, "/account/close", "/account/close", {"password": PW})
    assert started.status_code == 303 and started.headers["location"] == "/account/close/verify"
    code_page = await client.get("/account/close/verify")
    assert code_page.status_code == 200 and "a***@example.com" in code_page.text
    assert "Enter the code to close your account" in code_page.text
    resent = await client.post(
        "/account/close/verify", data={"csrf": csrf_of(code_page.text), "action": "resend"}
    )
    assert resent.headers["location"] == "/account/close/verify?resent=1"
    code = await world.code(EMAIL)
    bad = "000000" if code != "000000" else "111111"
    refused = await submit(client, "/account/close/verify", "/account/close/verify", {"code": bad})
    assert refused.status_code == 422
    assert (await client.get("/account")).status_code == 200  # still open

    closed = await submit(client, "/account/close/verify", "/account/close/verify", {"code": code})
    assert closed.status_code == 303 and closed.headers["location"] == "/account/closed"
    assert any(
        "ew_session" in h and "Max-Age=0" in h for h in closed.headers.get_list("set-cookie")
    )
    done = await client.get("/account/closed")
    assert done.status_code == 200 and "Your account is closed" in done.text
    assert 'href="/help/ask?topic=reopen"' in done.text
    gone = await client.get("/account")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/signin")

    again = await sign_in(client, EMAIL, PW)  # the right password: told it is closed
    assert again.status_code == 403 and 'id="closed"' in again.text
    cleared = again.headers.get_list("set-cookie")
    assert any(h.startswith("ew_ident=") and "Max-Age=0" in h for h in cleared)  # not kept
    assert "Customer Service can reopen it until" in again.text
    ask = await client.get("/help/ask?topic=reopen")
    assert '<option value="reopen" selected>' in ask.text


async def test_the_api_closes_it_and_a_sign_in_then_says_until_when(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await api_account(client, world)
    assert (await client.post("/api/v1/account/close", json={"password": PW})).status_code == 401
    wrong = await client.post("/api/v1/account/close", json={"password": "nope-nope"}, headers=auth)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "password_rejected"
    started = await client.post("/api/v1/account/close", json={"password": PW}, headers=auth)
    assert started.status_code == 202, started.text
    flow = started.json()["flow_id"]
    assert started.json()["sent_to"] == "a***@example.com"
    done = await client.post(
        "/api/v1/account/close/verify",
        json={"flow_id": flow, "code": await world.code(EMAIL)},
        headers=auth,
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["erase_after"] > body["closed_at"]
    assert (await client.get("/api/v1/account", headers=auth)).status_code == 401
    steps = await client.post("/api/v1/sign-in/identifier", json={"identifier": EMAIL})
    assert steps.status_code == 200 and steps.json()["next"] == "password", steps.text
    refused = await client.post("/api/v1/sign-in", json={"identifier": EMAIL, "password": PW})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "account_closed" and error["until"][:10] == body["erase_after"][:10]
    assert error["ask_url"] == "http://us.localhost:8000/help/ask?topic=reopen"
    wrong_pair = await client.post(
        "/api/v1/sign-in", json={"identifier": EMAIL, "password": "wrong-password-1"}
    )
    assert wrong_pair.status_code == 401  # a guess hears nothing of the closing

    spec = (await client.get("/openapi.json")).json()
    close = spec["paths"]["/api/v1/account/close"]["post"]["responses"]
    assert {"202", "401", "422"} <= set(close)
    assert "/api/v1/account/close/verify" in spec["paths"]
    refusal = spec["paths"]["/api/v1/sign-in"]["post"]["responses"]["403"]
    assert "account_closed" in refusal["description"]
