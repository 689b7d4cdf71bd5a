"""Schemathesis over every operation of ``/openapi.json``, against a real demo server.

Each operation gets generated valid and invalid requests (bounded: ``EXAMPLES`` each), sent
with a live session (a full token, or a partial one for the second step). Valid bodies take
turns borrowing what random data never finds: a real identifier (with the right password
half the time at sign-in) and a live flow id of the right journey (registration, reset,
contact change, phone enrolment), so the cases reach the flows instead of stopping at 401,
410 or ``invalid_identifier``. Every answer must be: no 5xx, a status the document lists, a
body matching the documented schema and content type, and invalid input refused. The last
test checks that the cases did reach the flows.

Not reached here: the unlock and unusual-sign-in steps past their first check (they need a
lock or recent failures, which this server's lenient policy turns off so that thousands of
guesses don't lock the borrowed accounts), and a recovery's This wasn't me and finish links
(no recovery waits on this server; the identity check's steps do get a live flow, an unknown
identifier's); their own tests cover them.

With ``--db=postgresql`` the server runs on a PostgreSQL database of its own (NUL bytes and
other input PostgreSQL refuses must be turned away before they reach it).
"""

from __future__ import annotations

import itertools
import os
import re
import time
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
}
IDENTIFIERS = [OWNER, TWO_STEP, "nobody@example.com", "+1 201 555 0142"]
# Operations the cases must have seen succeed, and sign-in answers they must have seen.
MUST_SUCCEED = {
    ("POST", "/api/v1/sign-in/identifier"),
    ("POST", "/api/v1/sign-in"),
    ("GET", "/api/v1/session"),
    ("GET", "/api/v1/sign-in/two-step/options"),
    ("POST", "/api/v1/registrations"),
    ("POST", "/api/v1/password-resets"),
    ("POST", "/api/v1/identity-checks"),
    ("POST", "/api/v1/identity-checks/answers"),
    ("GET", "/api/v1/account"),
    ("GET", "/api/v1/account/devices"),
    ("GET", "/api/v1/account/two-step"),
    ("PUT", "/api/v1/account/name"),
    ("POST", "/api/v1/account/email"),
    ("POST", "/api/v1/account/two-step/apps"),
}
MUST_SEE_NEXT = {"done", "two_step"}
REAUTH_EVERY = 300.0  # seconds: two-step changes want a password given in the last ten minutes


@dataclass
class Live:
    """What the cases borrow: the server, tokens and live flow ids by path prefix."""

    server: Server
    http: httpx.Client
    full: str = ""
    partial: str = ""
    reauthenticated: float = 0.0
    flows: dict[str, str] = field(default_factory=dict)
    seen: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    next_seen: set[str] = field(default_factory=set)
    turns: itertools.count[int] = field(default_factory=itertools.count)

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
            self.reauthenticated = 0.0
        if time.monotonic() - self.reauthenticated > REAUTH_EVERY:
            r = self.post("/api/v1/account/reauthenticate", {"password": DEMO_PASSWORD}, self.full)
            assert r.status_code == 204, r.text
            self.reauthenticated = time.monotonic()
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
    r = live.post("/api/v1/account/reauthenticate", {"password": DEMO_PASSWORD}, token)
    assert r.status_code == 204, r.text
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
    r = live.post("/api/v1/identity-checks", {"identifier": "nobody@example.com"})
    assert r.status_code == 201, r.text
    live.flows["/api/v1/identity-checks"] = r.json()["flow_id"]
    r = live.post("/api/v1/account/email", {"identifier": "jane.new@example.com"}, live.full)
    live.flows["/api/v1/account/email"] = r.json()["flow_id"]
    r = live.post("/api/v1/account/phone", {"identifier": "+1 201 555 0199"}, live.full)
    live.flows["/api/v1/account/phone"] = r.json()["flow_id"]
    r = live.post("/api/v1/account/two-step/phones", {"identifier": "+1 201 555 0177"}, live.full)
    assert r.status_code == 202, r.text
    live.flows["/api/v1/account/two-step/phones"] = r.json()["flow_id"]
    assert all(live.flows.values())


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
# An invalid body can also be refused for its size before anything reads it: 413 is a rejection
# the document lists for every body, as good as a 400 or a 422.
_refusals = schema.config.checks.negative_data_rejection
_refusals.expected_statuses = [*_refusals.expected_statuses, "413"]


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
    if not case.meta.generation.mode.is_negative:  # invalid cases stay invalid
        _borrow(case, live)
    response = case.call_and_validate(
        base_url=live.server.base_url,
        headers={"authorization": f"Bearer {token}", "host": live.server.host},
        checks=CHECKS,
    )
    live.seen.setdefault((case.method.upper(), case.path), set()).add(response.status_code)
    if case.path == "/api/v1/sign-in" and response.status_code == 200:
        live.next_seen.add(response.json()["next"])


def _borrow(case: Any, live: Live) -> None:
    """Every other valid body gets a real identifier or a live flow id."""
    body = case.body
    turn = next(live.turns)
    if not isinstance(body, dict) or turn % 2 == 0:
        return
    if not isinstance(body.get("identifier"), str):
        pass
    elif case.path.endswith("/email"):
        body["identifier"] = f"jane.{turn}@example.com"
    elif case.path.endswith(("/phone", "/phones")):
        body["identifier"] = f"+1 201 555 {1000 + turn % 9000}"
    else:
        body["identifier"] = IDENTIFIERS[turn // 2 % len(IDENTIFIERS)]
        if case.path == "/api/v1/registrations":
            body.update(name="Fuzz Person", password="quiet-orchard-lantern-7")
            body.pop("password_again", None)
        if case.path == "/api/v1/sign-in" and turn // 2 % 8 < 4:  # each identifier, both ways
            body["password"] = DEMO_PASSWORD
            body.pop("remembered_browser_token", None)
    if isinstance(body.get("answers"), list) and case.path.startswith("/api/v1/identity-checks"):
        body["answers"] = ["Rex", "Elm Street", "Jaws"]  # random text is mostly punctuation
    if "flow_id" in body:
        for prefix, flow in live.flows.items():
            if case.path.startswith(prefix):
                body["flow_id"] = flow


def test_the_fuzz_reached_the_flows(live: Live) -> None:
    """Runs after the cases: they got past authentication and validation into the flows."""
    assert live.seen, "run with test_every_operation_keeps_its_contract"
    never = sorted(op for op in MUST_SUCCEED if not any(s < 300 for s in live.seen.get(op, ())))
    assert not never, f"no case of these succeeded: {never}; seen: {live.seen}"
    assert live.next_seen >= MUST_SEE_NEXT, live.next_seen
    assert 401 in live.seen[("POST", "/api/v1/sign-in")]  # and wrong pairs were refused
    served = live.http.get("/openapi.json").json()
    assert served["paths"] == schema.raw_schema["paths"]  # the cases cover what is served
