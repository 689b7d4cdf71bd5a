"""The JSON API runs the same journeys as the pages, and documents them at /openapi.json."""

from __future__ import annotations

import httpx

from tests.conftest import World

PW = "quiet-meadow-lantern"


async def api_account(
    client: httpx.AsyncClient, world: World, identifier: str = "ana@example.com"
) -> dict[str, str]:
    r = await client.post(
        "/api/v1/registrations",
        json={"name": "Ana Lopez", "identifier": identifier, "password": PW, "password_again": PW},
    )
    assert r.status_code == 202, r.text
    flow = r.json()["flow_id"]
    r = await client.post(
        "/api/v1/registrations/verify", json={"flow_id": flow, "code": await world.code(identifier)}
    )
    assert r.status_code == 200, r.text
    return {"authorization": f"Bearer {r.json()['session_token']}"}


async def test_api_journey(client: httpx.AsyncClient, world: World) -> None:
    auth = await api_account(client, world)
    me = (await client.get("/api/v1/account", headers=auth)).json()
    assert me["email"] == "ana@example.com" and me["email_verified"] and me["site"] == "us"

    assert (
        await client.put("/api/v1/account/name", headers=auth, json={"name": "Ana M"})
    ).status_code == 204
    r = await client.post(
        "/api/v1/account/phone", headers=auth, json={"identifier": "201 555 0123"}
    )
    assert r.status_code == 202 and r.json()["sent_to"] == "•••-•••-0123"
    r = await client.post(
        "/api/v1/account/phone/verify",
        headers=auth,
        json={"flow_id": r.json()["flow_id"], "code": await world.code("+12015550123")},
    )
    assert r.status_code == 204
    me = (await client.get("/api/v1/account", headers=auth)).json()
    assert me["name"] == "Ana M" and me["phone"] == "+12015550123" and me["phone_verified"]

    signed = await client.post(
        "/api/v1/sign-in", json={"identifier": "+1 201 555 0123", "password": PW}
    )
    assert signed.status_code == 200
    devices = (await client.get("/api/v1/account/devices", headers=auth)).json()
    assert len(devices) == 2 and sum(d["current"] for d in devices) == 1
    other = next(d for d in devices if not d["current"])
    assert (
        await client.delete(f"/api/v1/account/devices/{other['id']}", headers=auth)
    ).status_code == 204
    gone = {"authorization": f"Bearer {signed.json()['session_token']}"}
    assert (await client.get("/api/v1/account", headers=gone)).status_code == 401

    activity = (await client.get("/api/v1/account/activity", headers=auth)).json()
    assert {"sign_in.succeeded", "contact.phone_changed"} <= {a["action"] for a in activity}
    messages = (await client.get("/api/v1/account/messages", headers=auth)).json()
    assert messages and all("***" in m["to"] or "•" in m["to"] for m in messages)
    filed = [m["filed_at"] for m in messages]
    assert filed == sorted(filed, reverse=True)  # newest first, by when each went out

    r = await client.put(
        "/api/v1/account/password",
        headers=auth,
        json={
            "current_password": PW,
            "password": "brand-new-phrase-7",
            "password_again": "brand-new-phrase-7",
        },
    )
    assert r.status_code == 204
    ended = await client.post("/api/v1/account/sign-out-everywhere", headers=auth)
    assert ended.json() == {"ended": 1}
    assert (await client.get("/api/v1/account", headers=auth)).status_code == 401


async def test_api_errors_have_stable_codes(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/sign-in", json={"identifier": "ana@example.com", "password": "wrong-password"}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "sign_in_failed"
    r = await client.post(
        "/api/v1/registrations",
        json={
            "name": "Ana",
            "identifier": "ana@example.com",
            "password": "short",
            "password_again": "short",
        },
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "password_rejected"
    assert r.json()["error"]["field"] == "password"
    r = await client.post("/api/v1/sign-in/identifier", json={"identifier": "nonsense"})
    assert r.json()["error"]["code"] == "invalid_identifier"
    r = await client.get("/api/v1/account")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    r = await client.post("/api/v1/registrations/verify", json={"flow_id": "x", "code": "1"})
    assert r.status_code == 410 and r.json()["error"]["code"] == "flow_expired"


async def test_openapi_documents_every_api_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/sign-in/identifier",
        "/api/v1/sign-in",
        "/api/v1/sign-out",
        "/api/v1/registrations",
        "/api/v1/registrations/verify",
        "/api/v1/registrations/resend",
        "/api/v1/account",
        "/api/v1/account/name",
        "/api/v1/account/password",
        "/api/v1/account/email",
        "/api/v1/account/email/verify",
        "/api/v1/account/phone",
        "/api/v1/account/phone/verify",
        "/api/v1/session",
        "/api/v1/account/devices",
        "/api/v1/account/devices/{device_id}",
        "/api/v1/account/sign-out-everywhere",
        "/api/v1/account/activity",
        "/api/v1/account/messages",
        "/api/v1/password-resets",
        "/api/v1/sign-in/two-step",
        "/api/v1/sign-in/two-step/options",
        "/api/v1/sign-in/two-step/send",
        "/api/v1/sign-in/two-step/contact",
        "/api/v1/account/reauthenticate",
        "/api/v1/account/two-step",
        "/api/v1/account/two-step/apps",
        "/api/v1/account/two-step/apps/verify",
        "/api/v1/account/two-step/phones",
        "/api/v1/account/two-step/phones/verify",
        "/api/v1/account/two-step/backup-codes",
        "/api/v1/account/two-step/preferred",
        "/api/v1/account/two-step/methods/{factor_id}",
        "/api/v1/account/two-step/off",
    } <= paths
    assert not any(p.startswith(("/signin", "/account", "/dev")) for p in paths)


async def test_demo_outbox_exists_only_in_demo_mode(client: httpx.AsyncClient) -> None:
    assert (await client.get("/dev/outbox")).status_code == 404
    assert (await client.get("/dev/outbox.json")).status_code == 404


async def test_pages_send_security_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/signin")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


async def test_demo_outbox_lists_every_message_as_page_and_json(
    database_url: tuple[str, str | None],
) -> None:
    from entryway.bootstrap import app_for, build
    from tests.conftest import test_settings

    url, schema = database_url
    runtime = build(test_settings(url, demo=True), schema=schema)
    transport = httpx.ASGITransport(app=app_for(runtime, deliver=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://uk.localhost:8000") as c:
            r = await c.post(
                "/api/v1/registrations",
                json={
                    "name": "Ana",
                    "identifier": "ana@example.com",
                    "password": PW,
                    "password_again": PW,
                },
            )
            assert r.status_code == 202
            data = (await c.get("/dev/outbox.json")).json()["messages"]
            assert [(m["to"], m["site"], m["kind"]) for m in data] == [
                ("ana@example.com", "uk", "verify_account")
            ]
            page = await c.get("/dev/outbox")
            assert page.status_code == 200 and "ana@example.com" in page.text
    finally:
        await runtime.close()
