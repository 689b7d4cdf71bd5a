"""RP-initiated logout: a valid id_token_hint of the signed-in customer signs out at once,
anything else asks first; only a registered post_logout_redirect_uri is followed."""

from __future__ import annotations

import httpx

from tests.web.helpers import csrf_of, register
from tests.web.oidc_helpers import (
    PASSWORD,
    POST_LOGOUT,
    code_for,
    exchange,
    new_app,
    pkce,
    query_of,
)


async def _signed_in_app(client: httpx.AsyncClient, world: object) -> tuple:
    app, secret = await new_app(world)
    await register(client, world, password=PASSWORD)
    verifier, challenge = pkce()
    code = await code_for(client, app, challenge)
    tokens = (await exchange(client, app, secret, code, verifier)).json()
    return app, tokens


async def test_a_valid_hint_signs_out_and_returns_to_the_registered_uri(client, world) -> None:
    _, tokens = await _signed_in_app(client, world)
    r = await client.get(
        "/oauth/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": POST_LOGOUT,
                "state": "bye-1"},
    )  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"].startswith(POST_LOGOUT) and query_of(r.headers["location"]) == {
        "state": "bye-1"
    }
    assert (await client.get("/account")).status_code == 303  # signed out here too
    auth = {"authorization": "Bearer " + tokens["access_token"]}
    assert (await client.get("/oauth/userinfo", headers=auth)).status_code == 401


async def test_an_unregistered_post_logout_uri_gets_a_page(client, world) -> None:
    _, tokens = await _signed_in_app(client, world)
    r = await client.get(
        "/oauth/logout",
        params={"id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": "https://evil.example/"},
    )  # fmt: skip
    assert r.status_code == 400 and "location" not in r.headers
    assert (await client.get("/account")).status_code == 200  # still signed in


async def test_without_a_hint_the_customer_confirms_first(client, world) -> None:
    app, _ = await _signed_in_app(client, world)
    ask = await client.get(
        "/oauth/logout", params={"client_id": app.id, "post_logout_redirect_uri": POST_LOGOUT}
    )
    assert ask.status_code == 200 and "Sign out of" in ask.text
    assert "form-action 'self' http://shop.localhost:8000" in ask.headers["content-security-policy"]
    assert (await client.get("/account")).status_code == 200  # a GET alone signs nobody out
    forged = await client.post(
        "/oauth/logout", data={"confirm": "yes", "client_id": app.id}
    )  # no CSRF token: a cross-site form cannot sign the customer out
    assert forged.status_code == 403
    done = await client.post(
        "/oauth/logout",
        data={"csrf": csrf_of(ask.text), "confirm": "yes", "client_id": app.id,
              "post_logout_redirect_uri": POST_LOGOUT},
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == POST_LOGOUT
    assert (await client.get("/account")).status_code == 303


async def test_a_hint_from_another_site_is_not_trusted(client, world) -> None:
    _, tokens = await _signed_in_app(client, world)
    uk = await client.get(
        "/oauth/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": POST_LOGOUT},
        headers={"host": "uk.localhost:8000"},
    )
    assert uk.status_code == 400  # on uk the hint is nobody's, so its app is unknown there
    assert (await client.get("/account")).status_code == 200


async def test_an_apps_post_is_taken_like_its_get(client, world) -> None:
    """RP-Initiated Logout 1.0 §2: GET and POST. The app's form has no CSRF token of ours, so
    its POST becomes the same request as a GET, then goes the GET's way."""
    _, tokens = await _signed_in_app(client, world)
    r = await client.post(
        "/oauth/logout",
        data={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": POST_LOGOUT,
              "state": "bye-2", "extra": "dropped"},
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/oauth/logout?")
    assert "extra" not in r.headers["location"]
    assert (await client.get("/account")).status_code == 200  # nothing ended by the POST
    done = await client.get(r.headers["location"])
    assert done.status_code == 303 and query_of(done.headers["location"]) == {"state": "bye-2"}
    assert (await client.get("/account")).status_code == 303


async def test_a_hint_of_one_app_sent_by_another_is_refused(client, world) -> None:
    _, tokens = await _signed_in_app(client, world)
    other, _ = await new_app(world, name="Other App")
    r = await client.get(
        "/oauth/logout",
        params={"id_token_hint": tokens["id_token"], "client_id": other.id,
                "post_logout_redirect_uri": POST_LOGOUT},
    )  # fmt: skip
    assert r.status_code == 400 and "location" not in r.headers
    assert (await client.get("/account")).status_code == 200  # still signed in
