"""The JSON API's contract: one error shape that never repeats the input, size caps, strict
types, bearer tokens only in the header, a tagged sign-in answer, and routes that cannot
collide."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from entryway.bootstrap import app_for
from entryway.core import totp
from tests.conftest import World
from tests.flows.test_messages import KNOWN
from tests.web.test_api import PW, api_account

ANA = "ana@example.com"


def error_of(r: httpx.Response) -> dict[str, Any]:
    """The error object, after checking the answer has exactly the one shape."""
    body = r.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert "detail" not in r.text
    return dict(body["error"])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/sign-in", {"identifier": ANA, "password": "p" * 4097}, "password"),
        (
            "/api/v1/registrations",
            {"name": "Ana", "identifier": ANA, "password": "q" * 4097},
            "password",
        ),
        ("/api/v1/sign-in/identifier", {"identifier": "z" * 50_000}, "identifier"),
    ],
)
async def test_a_too_long_value_is_named_but_never_echoed(
    client: httpx.AsyncClient, path: str, body: dict[str, str], field: str
) -> None:
    r = await client.post(path, json=body)
    assert r.status_code == 422
    err = error_of(r)
    assert err["code"] == "invalid_input" and err["field"] == field
    assert len(r.content) < 300, r.text  # the answer is small whatever the input was
    assert "ppp" not in r.text and "qqq" not in r.text and "zzz" not in r.text


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b'{"identifier": ', 400, "malformed_request"),
        (b'{"identifier": "\xff\xfe"}', 400, "malformed_request"),  # not UTF-8
        (b"[1, 2]", 422, "invalid_input"),
        (b'"just a string"', 422, "invalid_input"),
    ],
)
async def test_unreadable_bodies_get_the_one_shape(
    client: httpx.AsyncClient, raw: bytes, status: int, code: str
) -> None:
    r = await client.post(
        "/api/v1/sign-in/identifier", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert error_of(r)["code"] == code


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"identifier": "ana\u0000@example.com"}, "identifier"),
        ({"identifier": ["ana@example.com"]}, "identifier"),
        ({"identifier": {"$ne": ""}}, "identifier"),
        ({"identifier": 12015550123}, "identifier"),
        ({}, "identifier"),
    ],
)
async def test_bad_values_name_their_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    r = await client.post("/api/v1/password-resets", json=body)
    assert r.status_code == 422
    err = error_of(r)
    assert err["code"] == "invalid_input" and err["field"] == field
    assert "example.com" not in r.text


async def test_a_lone_surrogate_is_refused_not_a_server_error(client: httpx.AsyncClient) -> None:
    raw = b'{"identifier": "ana@example.com", "password": "\\ud800abc"}'
    r = await client.post(
        "/api/v1/sign-in", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and error_of(r)["field"] == "password"


async def test_bodies_over_64_kib_are_refused_before_parsing(client: httpx.AsyncClient) -> None:
    big = b'{"identifier": "' + b"a" * (1024 * 1024) + b'"}'
    r = await client.post(
        "/api/v1/sign-in/identifier", content=big, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and error_of(r)["code"] == "payload_too_large"
    assert len(r.content) < 200

    async def chunks() -> Any:  # no Content-Length: counted as it streams
        for _ in range(80):
            yield b"a" * 1024

    r = await client.post(
        "/api/v1/sign-in/identifier", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and error_of(r)["code"] == "payload_too_large"
    r = await client.post("/signin", content=big, headers={"content-type": "text/plain"})
    assert r.status_code == 413  # pages too


STRICT = [
    ("/api/v1/sign-in", {"identifier": ANA, "password": PW, "keep_signed_in": "true"}),
    ("/api/v1/sign-in", {"identifier": ANA, "password": PW, "keep_signed_in": 1}),
    ("/api/v1/password-resets/choose", {"flow_id": "x", "index": "0", "channel": "email"}),
    ("/api/v1/password-resets/choose", {"flow_id": "x", "index": True, "channel": "email"}),
]


@pytest.mark.parametrize(("path", "body"), STRICT)
async def test_types_are_strict(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    r = await client.post(path, json=body)
    assert r.status_code == 422
    assert error_of(r)["field"] in {"keep_signed_in", "index"}


async def test_an_app_sends_the_password_once(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/registrations", json={"name": "Ana", "identifier": ANA, "password": PW}
    )
    assert r.status_code == 202, r.text
    r = await client.post(
        "/api/v1/registrations",
        json={"name": "Bo", "identifier": "bo@example.com", "password": PW, "password_again": "x"},
    )
    assert r.status_code == 422 and error_of(r)["field"] == "password_again"


async def test_sign_in_answers_are_tagged_and_done_says_when_it_ends(
    client: httpx.AsyncClient, world: World
) -> None:
    await api_account(client, world)
    r = await client.post("/api/v1/sign-in", json={"identifier": ANA, "password": PW})
    assert r.status_code == 200
    body = r.json()
    assert body["next"] == "done" and body["session_token"] and body["account_id"]
    assert body["expires_at"] <= body["ends_at"]
    auth = {"authorization": f"Bearer {body['session_token']}"}
    standing = (await client.get("/api/v1/session", headers=auth)).json()
    assert standing["level"] == "full" and standing["account_id"] == body["account_id"]
    assert standing["ends_at"] == body["ends_at"]

    r = await client.get("/api/v1/session", headers={"authorization": "Bearer nope"})
    assert r.status_code == 401 and error_of(r)["code"] == "unauthenticated"
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    r = await client.get("/api/v1/session")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    await client.post("/api/v1/sign-out", headers=auth)
    assert (await client.get("/api/v1/session", headers=auth)).status_code == 401


async def test_every_401_names_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/sign-in", json={"identifier": ANA, "password": "wrong-one-x"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    for path in ("/api/v1/account", "/api/v1/account/two-step", "/api/v1/sign-in/two-step/options"):
        r = await client.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), path


async def test_partial_tokens_travel_as_bearer_and_open_nothing_else(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await api_account(client, world)
    await client.post("/api/v1/account/reauthenticate", headers=auth, json={"password": PW})
    app = (await client.post("/api/v1/account/two-step/apps", headers=auth)).json()
    code = totp.totp(totp.parse_key(app["key"]), totp.step_at(world.clock.now()))
    r = await client.post(
        "/api/v1/account/two-step/apps/verify",
        headers=auth,
        json={"factor_id": app["factor_id"], "code": code},
    )
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/sign-in", json={"identifier": ANA, "password": PW})
    body = r.json()
    assert body["next"] == "two_step" and set(body) == {"next", "partial_token", "expires_at"}
    partial = {"authorization": f"Bearer {body['partial_token']}"}
    standing = (await client.get("/api/v1/session", headers=partial)).json()
    assert standing["level"] == "partial" and standing["account_id"] is None
    r = await client.get("/api/v1/account", headers=partial)
    assert r.status_code == 401 and error_of(r)["message"] == "Finish two-step verification first."
    # A full session is not a partial one either.
    assert (await client.get("/api/v1/sign-in/two-step/options", headers=auth)).status_code == 401
    # The old body field is gone: without the header there is no partial session.
    r = await client.post(
        "/api/v1/sign-in/two-step", json={"partial_token": body["partial_token"], "code": "1"}
    )
    assert r.status_code == 401
    options = await client.get("/api/v1/sign-in/two-step/options", headers=partial)
    assert options.status_code == 200 and options.json()["app"] is True
    # Leaving the second step ends the partial session and tells the owner at once.
    assert (await client.post("/api/v1/sign-out", headers=partial)).status_code == 204
    assert (await client.get("/api/v1/session", headers=partial)).status_code == 401
    await world.deliver()
    assert [m.to for m in world.mailer.sent if KNOWN in m.subject] == [ANA]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/account"),
        ("POST", "/api/v1/account/devices"),
        ("POST", "/api/v1/account/activity"),
        ("DELETE", "/api/v1/account/sign-out-everywhere"),
        ("GET", "/api/v1/sign-in"),
        ("PUT", "/api/v1/session"),
    ],
)
async def test_a_wrong_method_is_405_with_allow(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    r = await client.request(method, path, json={})
    assert r.status_code == 405, r.text
    assert error_of(r)["code"] == "method_not_allowed" and r.headers["allow"]


async def test_unknown_api_paths_are_404_in_the_one_shape(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/account/anything", json={"identifier": ANA})
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"


def is_error_shape(spec: dict[str, Any], ref: str) -> bool:
    """An error schema other than ErrorOut (403 ``account_suspended`` carries the notice,
    ``account_closed`` its date) still has the one shape: ``error`` with every field of
    ErrorDetail, in each of its forms."""
    schemas = spec["components"]["schemas"]
    found = schemas[ref.rpartition("/")[2]]
    if set(found["properties"]) != {"error"}:
        return False
    error = found["properties"]["error"]
    options = error.get("anyOf", [error])  # 403 at sign-in: a suspension's or a closing's
    details = [schemas[option["$ref"].rpartition("/")[2]] for option in options]
    required = set(schemas["ErrorDetail"]["required"])
    return all(required <= set(detail.get("required", [])) for detail in details)


async def test_openapi_has_a_bearer_scheme_and_documents_errors(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": schemes["bearer"]["description"],
        }
    }
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            params = [p["name"].lower() for p in op.get("parameters", [])]
            assert "authorization" not in params, (method, path)
            for status, answer in op["responses"].items():
                if status.startswith(("4", "5")):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut") or is_error_shape(spec, ref), (
                        method,
                        path,
                        status,
                    )
            if op.get("security") == [{"bearer": []}]:  # required (sign-out's is optional)
                assert "401" in op["responses"], (method, path)
    sign_in = spec["paths"]["/api/v1/sign-in"]["post"]["responses"]["200"]
    schema = sign_in["content"]["application/json"]["schema"]
    assert schema["discriminator"]["propertyName"] == "next"
    assert set(schema["discriminator"]["mapping"]) == {"done", "two_step", "confirm", "verify"}


async def test_a_nul_in_a_path_is_not_found_before_any_lookup(
    client: httpx.AsyncClient, world: World
) -> None:
    auth = await api_account(client, world)
    for path in ("/api/v1/account/devices/%00", "/api/v1/account/two-step/methods/a%00b"):
        r = await client.delete(path, headers=auth)
        assert r.status_code == 404 and error_of(r)["code"] == "not_found", path
    r = await client.post("/account/devices/%00/sign-out")
    assert r.status_code == 404 and "text/plain" in r.headers["content-type"]


async def test_an_unknown_host_gets_the_one_shape_under_api(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/account", headers={"host": "evil.example"})
    assert r.status_code == 400 and error_of(r)["code"] == "unknown_site"
    r = await client.get("/signin", headers={"host": "evil.example"})
    assert r.status_code == 400 and r.text == "Unknown host."


async def test_no_string_field_takes_a_nul(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/sign-in",
        json={"identifier": ANA, "password": PW, "remembered_browser_token": "a\u0000b"},
    )
    assert r.status_code == 422 and error_of(r)["field"] == "remembered_browser_token"


async def test_a_missing_body_says_so(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/sign-in")
    assert r.status_code == 422
    assert error_of(r) == {
        "code": "invalid_input",
        "message": "The request needs a JSON object as its body.",
        "field": None,
    }


async def test_a_crash_answers_in_the_one_shape(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entryway.flows.signin import sign_in

    def broken(*_args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(sign_in, "check_identifier", broken)
    app = app_for(world.runtime, deliver=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://us.localhost:8000") as c:
        r = await c.post("/api/v1/sign-in/identifier", json={"identifier": ANA})
    assert r.status_code == 500 and error_of(r)["code"] == "internal_error"
    assert "a bug" not in r.text


async def test_optional_and_bodyless_routes_are_documented_as_such(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()["paths"]
    assert spec["/api/v1/sign-out"]["post"]["security"] == [{"bearer": []}, {}]
    # No body, so no 400, 413 or 422; every route may meet the database out of reach.
    assert set(spec["/api/v1/account"]["get"]["responses"]) == {"200", "401", "503"}
    assert "429" not in spec["/api/v1/sign-in/two-step"]["post"]["responses"]
    assert {"401", "423", "429"} <= set(spec["/api/v1/sign-in"]["post"]["responses"])


async def test_head_answers_like_get_without_a_body(client: httpx.AsyncClient) -> None:
    for path in ("/", "/signin", "/healthz", "/openapi.json", "/favicon.ico", "/api/docs"):
        got, head = await client.get(path), await client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    r = await client.head("/api/v1/account")
    assert r.status_code == 401 and r.content == b""
