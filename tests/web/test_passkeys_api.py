"""Passkeys through the JSON API, as a native app would use them: add one to the signed-in
account, then sign in with it; each ceremony's options, then its credential."""

from __future__ import annotations

import json

import httpx

from tests.conftest import World
from tests.passkey_device import Device
from tests.web.test_api import api_account

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
    assert again.status_code == 422 and again.json()["error"]["field"] == "credential"


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
    } <= paths
