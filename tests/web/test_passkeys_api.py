"""Passkeys through the JSON API, as a native app would use them: add one to the signed-in
account, then sign in with it; each ceremony's options, then its credential."""

from __future__ import annotations

import json

import httpx

from entryway.core import totp
from tests.conftest import World
from tests.passkey_device import Device, b64
from tests.web.test_api import PW, api_account

US = ("us.localhost", "http://us.localhost:8000")


async def _add(client: httpx.AsyncClient, auth: dict[str, str], device: Device) -> httpx.Response:
    begun = await client.post("/api/v1/account/passkeys/options", headers=auth)
    assert begun.status_code == 200, begun.text
    options = json.dumps(begun.json()["options"])
    credential = json.loads(device.create(options))
    return await client.post(
        "/api/v1/account/passkeys",
        headers=auth,
        json={"flow_id": begun.json()["flow_id"], "credential": credential, "name": "Ana's Pixel"},
    )


async def test_an_app_adds_a_passkey_and_signs_in_with_it(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await api_account(client, world)
    device = Device(*US)
    added = await _add(client, auth, device)
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "Ana's Pixel" and added.json()["synced"] is False
    listed = (await client.get("/api/v1/account/passkeys", headers=auth)).json()
    assert [p["id"] for p in listed] == [added.json()["id"]]

    begun = (await client.post("/api/v1/sign-in/passkey/options")).json()
    assert begun["options"]["rpId"] == "us.localhost"
    assert begun["options"]["userVerification"] == "required"
    credential = json.loads(device.get(json.dumps(begun["options"])))
    signed = await client.post(
        "/api/v1/sign-in/passkey", json={"flow_id": begun["flow_id"], "credential": credential}
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["next"] == "done"
    bearer = {"authorization": f"Bearer {signed.json()['session_token']}"}
    assert (await client.get("/api/v1/session", headers=bearer)).status_code == 200
    # The same answer again: its challenge is spent.
    again = await client.post(
        "/api/v1/sign-in/passkey", json={"flow_id": begun["flow_id"], "credential": credential}
    )
    assert again.status_code == 410 and again.json()["error"]["code"] == "flow_expired"


async def test_adding_a_passkey_needs_a_recent_password(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await api_account(client, world)
    world.clock.advance(minutes=11)
    r = await client.post("/api/v1/account/passkeys/options", headers=auth)
    assert r.status_code == 403
    ok = await client.post(
        "/api/v1/account/reauthenticate", headers=auth, json={"password": "quiet-meadow-lantern"}
    )
    assert ok.status_code == 204
    assert (await _add(client, auth, Device(*US))).status_code == 201


async def test_passkey_routes_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = set((await client.get("/openapi.json")).json()["paths"])
    assert {
        "/api/v1/sign-in/passkey/options",
        "/api/v1/sign-in/passkey",
        "/api/v1/account/passkeys",
        "/api/v1/account/passkeys/options",
        "/api/v1/account/passkeys/{passkey_id}",
        "/api/v1/sign-in/two-step/passkey/options",
        "/api/v1/sign-in/two-step/passkey",
    } <= paths


async def _two_step_on(client: httpx.AsyncClient, world: World, auth: dict[str, str]) -> None:
    r = await client.post("/api/v1/account/two-step/apps", headers=auth)
    key = totp.parse_key(r.json()["key"])
    r = await client.post(
        "/api/v1/account/two-step/apps/verify",
        headers=auth,
        json={
            "factor_id": r.json()["factor_id"],
            "code": totp.totp(key, totp.step_at(world.clock.now())),
        },
    )
    assert r.status_code == 200, r.text


async def test_an_app_passes_the_second_step_with_a_passkey(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await api_account(client, world)
    device = Device(*US)
    assert (await _add(client, auth, device)).status_code == 201
    await _two_step_on(client, world, auth)
    r = await client.post("/api/v1/sign-in", json={"identifier": "ana@example.com", "password": PW})
    assert r.json()["next"] == "two_step"
    partial = {"authorization": f"Bearer {r.json()['partial_token']}"}
    offered = (await client.get("/api/v1/sign-in/two-step/options", headers=partial)).json()
    assert offered["passkey"] is True
    # The options need the partial token, and list the account's passkey.
    assert (await client.post("/api/v1/sign-in/two-step/passkey/options")).status_code == 401
    begun = await client.post("/api/v1/sign-in/two-step/passkey/options", headers=partial)
    assert begun.status_code == 200, begun.text
    allowed = begun.json()["options"]["allowCredentials"]
    assert [c["id"] for c in allowed] == [b64(device.credential_id)]
    flow = begun.json()["flow_id"]
    wrong = json.loads(device.get(json.dumps(begun.json()["options"]), verified=False))
    r = await client.post(
        "/api/v1/sign-in/two-step/passkey", headers=partial,
        json={"flow_id": flow, "credential": wrong},
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_rejected"
    begun = await client.post("/api/v1/sign-in/two-step/passkey/options", headers=partial)
    credential = json.loads(device.get(json.dumps(begun.json()["options"])))
    r = await client.post(
        "/api/v1/sign-in/two-step/passkey", headers=partial,
        json={"flow_id": begun.json()["flow_id"], "credential": credential},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    bearer = {"authorization": f"Bearer {r.json()['session_token']}"}
    assert (await client.get("/api/v1/session", headers=bearer)).status_code == 200
    assert (await client.get("/api/v1/session", headers=partial)).status_code == 401


async def test_an_app_renames_and_removes_a_passkey(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await api_account(client, world)
    added = (await _add(client, auth, Device(*US))).json()
    path = f"/api/v1/account/passkeys/{added['id']}"
    r = await client.patch(path, headers=auth, json={"name": " Work\tphone "})
    assert r.status_code == 200 and r.json()["name"] == "Work phone"
    assert (await client.patch(path, headers=auth, json={"name": ""})).status_code == 422
    other = await api_account(client, world, "bo@example.com")
    assert (await client.patch(path, headers=other, json={"name": "x"})).status_code == 404
    assert (await client.delete(path, headers=other)).status_code == 404
    world.clock.advance(minutes=11)
    assert (await client.delete(path, headers=auth)).status_code == 403  # password first
    await client.post("/api/v1/account/reauthenticate", headers=auth, json={"password": PW})
    assert (await client.delete(path, headers=auth)).status_code == 204
    assert (await client.get("/api/v1/account/passkeys", headers=auth)).json() == []
    assert (await client.delete(path, headers=auth)).status_code == 404


async def test_the_site_vouches_for_its_native_apps(client: httpx.AsyncClient) -> None:
    """The demo US site lists an example Android and Apple app; the UK site none."""
    links = await client.get("/.well-known/assetlinks.json")
    assert links.status_code == 200 and links.headers["content-type"] == "application/json"
    [statement] = links.json()
    assert statement["relation"] == ["delegate_permission/common.get_login_creds"]
    assert statement["target"]["package_name"] == "com.example.acmemarket"
    assert len(statement["target"]["sha256_cert_fingerprints"][0]) == 95
    apple = await client.get("/.well-known/apple-app-site-association")
    assert apple.status_code == 200 and apple.headers["content-type"] == "application/json"
    assert apple.json() == {"webcredentials": {"apps": ["A1B2C3D4E5.com.example.acmemarket"]}}
    uk = {"host": "uk.localhost:8000"}
    assert (await client.get("/.well-known/assetlinks.json", headers=uk)).status_code == 404
    assert (
        await client.get("/.well-known/apple-app-site-association", headers=uk)
    ).status_code == 404


async def test_an_android_apps_assertion_is_accepted_by_its_origin(
    client: httpx.AsyncClient, world: World
) -> None:
    """The Android app's origin (the hash of its signing certificate) is the site's too;
    any other app's is refused."""
    auth = await api_account(client, world)
    device = Device(*US)
    await _add(client, auth, device)
    site = world.deps.site("us")
    [app_origin] = site.android_apps[0].origins
    for origin, status in (("android:apk-key-hash:" + "B" * 43, 422), (app_origin, 200)):
        begun = (await client.post("/api/v1/sign-in/passkey/options")).json()
        credential = json.loads(device.get(json.dumps(begun["options"]), origin=origin))
        r = await client.post(
            "/api/v1/sign-in/passkey", json={"flow_id": begun["flow_id"], "credential": credential}
        )
        assert r.status_code == status, r.text
