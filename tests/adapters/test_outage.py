"""Which storage errors are an outage (503, retry soon) and which are our bugs (500 with a
trace): only a lost or refused connection, or a server shutting down or starting up."""

from __future__ import annotations

import sqlite3

import httpx
import jinja2
import pytest
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from entryway.adapters.sql.database import is_outage
from entryway.flows.account import account as account_flow
from entryway.flows.staff import session as staff_session
from entryway.flows.staff import tokens as staff_tokens
from entryway.web.oidc import endpoints as oidc_endpoints
from tests.conftest import World
from tests.web.helpers import register
from tests.web.test_console import Hosts
from tests.web.test_console import hosts as hosts  # the fixture, re-exported


class StartingUp(Exception):
    sqlstate = "57P03"  # the database system is starting up


class BadArgument(Exception):
    sqlstate = "22023"  # invalid parameter value: our statement's fault


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (OperationalError("SELECT 1", {}, ConnectionResetError(104, "reset")), True),
        (InterfaceError("SELECT 1", {}, StartingUp()), True),
        (OperationalError("SELECT 1", {}, Exception(), connection_invalidated=True), True),
        (OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")), True),
        (OperationalError("SELECT x", {}, sqlite3.OperationalError("no such column: x")), False),
        (InterfaceError("SELECT 1", {}, BadArgument()), False),
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")), False),
        (jinja2.TemplateNotFound("messages/x.txt"), False),
        (TimeoutError(), False),
        (FileNotFoundError(2, "No such file"), False),
    ],
)
def test_only_a_lost_connection_is_an_outage(exc: BaseException, outage: bool) -> None:
    assert is_outage(exc) is outage


async def test_the_outage_page_asks_the_database_nothing(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed in, with the database gone: the page says so with 503, and does not look up
    the session again to name who is signed in (which would fail into a 500)."""
    await register(client, world)
    calls = 0

    async def gone(*_args: object, **_kwargs: object) -> None:
        nonlocal calls
        calls += 1
        raise OperationalError("SELECT", {}, ConnectionRefusedError(111, "refused"))

    monkeypatch.setattr(account_flow, "current", gone)
    page = await client.get("/account")
    assert page.status_code == 503 and page.headers["retry-after"] == "2"
    assert "try again in a moment" in page.text and calls == 1
    api = await client.get("/api/v1/account", headers={"Authorization": "Bearer " + "x" * 30})
    assert api.status_code == 503 and api.json()["error"]["code"] == "unavailable"


def _refused(*_args: object, **_kwargs: object) -> None:
    raise OperationalError("SELECT", {}, ConnectionRefusedError(111, "refused"))


async def _gone(*args: object, **kwargs: object) -> None:
    _refused(*args, **kwargs)


async def test_the_apps_endpoints_answer_an_outage_in_their_own_shape(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app reading /oauth/token or /oauth/jwks during an outage gets RFC 6749's JSON
    error, temporarily_unavailable with Retry-After, not a page."""
    monkeypatch.setattr(oidc_endpoints, "authenticate", _gone)
    monkeypatch.setattr(oidc_endpoints.keys, "jwks", _gone)
    token = await client.post("/oauth/token", data={"grant_type": "authorization_code"})
    jwks = await client.get("/oauth/jwks")
    for answer in (token, jwks):
        assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
        assert answer.json()["error"] == "temporarily_unavailable"
        assert answer.json()["error_description"]


async def test_the_console_answers_an_outage_with_503(
    hosts: Hosts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staff page and the admin API during an outage: 503 and Retry-After, the page not
    asking the database who is signed in; the admin API in its error shape."""
    monkeypatch.setattr(staff_session, "current_actor", _gone)
    monkeypatch.setattr(staff_tokens, "actor_for_token", _gone)
    page = await hosts.console.get("/cases")
    assert page.status_code == 503 and page.headers["retry-after"] == "2"
    assert "try again in a moment" in page.text
    api = await hosts.console.get(
        "/admin/api/v1/suspensions/abc", headers={"Authorization": "Bearer " + "t" * 40}
    )
    assert api.status_code == 503 and api.json()["error"]["code"] == "unavailable"
    missing = await hosts.console.get("/no-such-page")  # its header cannot name anyone now
    assert missing.status_code == 404
