"""Schemathesis over every operation of ``/openapi.json``, against a real demo server.

Each operation gets generated valid and invalid requests (bounded: ``EXAMPLES`` each), sent
with a live session (a full token, or a partial one for the second step) and, for half the
bodies that carry a ``flow_id``, a live flow id of the right journey, so the cases reach the
flows instead of stopping at 401 or 410. Every answer must be: no 5xx, a status the document
lists, a body matching the documented schema and content type, and invalid input refused.

With ``--db=postgresql`` the server runs on a PostgreSQL database of its own (NUL bytes and
other input PostgreSQL refuses must be turned away before they reach it).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from entryway.bootstrap import app_for, build
from entryway.core import totp
from entryway.flows.demo import DEMO_PASSWORD
from tests.conftest import SECRET
from tests.conftest import test_settings as settings_for
from tests.web.servers import Server, server_database, start_server, stop_server

EXAMPLES = int(os.environ.get("ENTRYWAY_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CODE = re.compile(r"\b(\d{6})\b")
OWNER = "jane@example.com"  # a demo account: its full session is the bearer
TWO_STEP = "fuzz-two-step@example.com"  # made here, with an authenticator app
DEVICE = "fuzzing-device-0123456789abcdef"
TURNS = itertools.count()
# Thousands of wrong guesses from one address would rightly lock the accounts whose tokens
# the cases borrow (and throttle the address); the lockout has tests of its own.
LENIENT = {
    "ENTRYWAY_LOG_LEVEL": "warning",
    "ENTRYWAY_DELAY_AFTER_FAILURES": "100000",
    "ENTRYWAY_LOCK_AFTER_FAILURES": "100000",
    "ENTRYWAY_KNOWN_DEVICE_LOCK_AFTER": "100000",
    "ENTRYWAY_UNUSUAL_AFTER_FAILURES": "100000",
    "ENTRYWAY_IP_UNUSUAL_AFTER": "100000",
    "ENTRYWAY_IP_REFUSE_AFTER": "100000",
}  # every other body with a flow_id gets a live one


@dataclass
class Live:
    """What the cases borrow: the server, tokens and live flow ids by path prefix."""

    server: Server
    http: httpx.Client
    full: str = ""
    partial: str = ""
    flows: dict[str, str] = field(default_factory=dict)

    def post(self, path: str, body: dict[str, Any], token: str = "") -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return self.http.post(path, json=body, headers=headers)

    def newest_code(self, to: str) -> str:
        messages = self.http.get("/dev/outbox.json").json()["messages"]
        for message in messages:  # newest first
            if message["to"] == to and (found := CODE.search(message["body"])):
                return found.group(1)
        raise AssertionError(f"no code for {to}")

    def still_good(self, token: str) -> bool:
        headers = {"authorization": f"Bearer {token}"}
        return bool(token) and self.http.get("/api/v1/session", headers=headers).status_code == 200

    def refresh(self) -> None:
        """New tokens when a case signed one out (sign-out, sign out everywhere)."""
        if not self.still_good(self.full):
            r = self.post(
                "/api/v1/sign-in",
                {"identifier": OWNER, "password": DEMO_PASSWORD, "device_id": DEVICE},
            )
            assert r.status_code == 200, r.text
            self.full = r.json()["session_token"]
        if not self.still_good(self.partial):
            r = self.post(
                "/api/v1/sign-in",
                {"identifier": TWO_STEP, "password": DEMO_PASSWORD, "device_id": DEVICE},
            )
            assert r.status_code == 200 and r.json()["next"] == "two_step", r.text
            self.partial = r.json()["partial_token"]


def _set_up(live: Live) -> None:
    """The two-step account, the owner's session, and one live flow of each journey."""
    r = live.post(
        "/api/v1/registrations",
        {"name": "Fuzz Two", "identifier": TWO_STEP, "password": DEMO_PASSWORD},
    )
    assert r.status_code == 202, r.text
    r = live.post(
        "/api/v1/registrations/verify",
        {"flow_id": r.json()["flow_id"], "code": live.newest_code(TWO_STEP)},
    )
    assert r.status_code == 200, r.text
    token = r.json()["session_token"]
    assert live.post("/api/v1/account/reauthenticate", {"password": DEMO_PASSWORD}, token)
    app = live.post("/api/v1/account/two-step/apps", {}, token).json()
    code = totp.totp(totp.parse_key(app["key"]), totp.step_at(datetime.now(UTC)))
    r = live.post(
        "/api/v1/account/two-step/apps/verify", {"factor_id": app["factor_id"], "code": code}, token
    )
    assert r.status_code == 200, r.text
    live.refresh()
    r = live.post(
        "/api/v1/registrations",
        {"name": "Fuzz New", "identifier": "fuzz-new@example.com", "password": DEMO_PASSWORD},
    )
    live.flows["/api/v1/registrations"] = r.json()["flow_id"]
    r = live.post("/api/v1/password-resets", {"identifier": OWNER})
    live.flows["/api/v1/password-resets"] = r.json()["flow_id"]
    r = live.post("/api/v1/account/email", {"identifier": "jane.new@example.com"}, live.full)
    live.flows["/api/v1/account/email"] = r.json()["flow_id"]
    r = live.post("/api/v1/account/phone", {"identifier": "+1 201 555 0199"}, live.full)
    live.flows["/api/v1/account/phone"] = r.json()["flow_id"]


@pytest.fixture(scope="module")
def live(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("fuzz")
    with server_database(db_kind, folder) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
        env.update(ENTRYWAY_DATABASE_URL=url, ENTRYWAY_SECRET_KEY=SECRET, **LENIENT)
        server = start_server("fuzz", folder / "server", env)
        try:
            with httpx.Client(
                base_url=server.base_url, headers={"host": server.host}, trust_env=False
            ) as http:
                found = Live(server=server, http=http)
                _set_up(found)
                yield found
        finally:
            stop_server(server.process)


def _document() -> dict[str, Any]:
    """The OpenAPI document, from the app itself: the cases are known at collection time."""
    runtime = build(settings_for("sqlite:///:memory:"))
    return dict(app_for(runtime, deliver=False).openapi())


schema = schemathesis.openapi.from_dict(_document())
schema.config.generation.update(max_examples=EXAMPLES, modes=["positive", "negative"])


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_operation_keeps_its_contract(case: Any, live: Live) -> None:
    live.refresh()
    token = live.partial if case.path.startswith("/api/v1/sign-in/two-step") else live.full
    body = case.body
    positive = not case.meta.generation.mode.is_negative  # invalid cases stay invalid
    if positive and isinstance(body, dict) and "flow_id" in body and next(TURNS) % 2:
        for prefix, flow in live.flows.items():
            if case.path.startswith(prefix):
                body["flow_id"] = flow
    case.call_and_validate(
        base_url=live.server.base_url,
        headers={"authorization": f"Bearer {token}", "host": live.server.host},
        checks=CHECKS,
    )


def test_the_fuzz_reaches_past_authentication(live: Live) -> None:
    """The bearer the cases use is a real session, so a 401 there would be a real fault."""
    live.refresh()
    r = live.http.get("/api/v1/account", headers={"authorization": f"Bearer {live.full}"})
    assert r.status_code == 200 and r.json()["email"] == OWNER
    served = live.http.get("/openapi.json").json()
    assert served["paths"] == schema.raw_schema["paths"]  # the cases cover what is served
    assert len(served["paths"]) >= 30
