"""The admin API's locks: a fraud system locks an account until it is unlocked (sessions
and apps' tokens end at once) and lifts the lock; errors in the API's shape; a token of
another site's staff finds nothing."""

from __future__ import annotations

import pytest

from entryway.errors import Unauthenticated
from entryway.flows.account import account
from entryway.flows.signin import sign_in
from entryway.flows.trust import locking
from tests.web.test_console import Hosts
from tests.web.test_console_accounts import PW, WHO, customer
from tests.web.test_console_accounts import hosts as hosts  # the fixture, re-exported
from tests.web.test_console_admin_api import bearer, trust_token

BASE = "/admin/api/v1/locks"
WHY = "Chargebacks on three orders this week"


async def test_lock_and_lift_with_a_token(hosts: Hosts) -> None:
    session = await customer(hosts.world)
    token_id, token = await trust_token(hosts)
    body = {"site": "us", "identifier": "ana@example.com", "reason": WHY}
    r = await hosts.console.post(BASE, json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["site"] == "us" and made["locked"] is True and made["locked_at"]
    account_id = made["account_id"]
    with pytest.raises(Unauthenticated):  # the customer's sessions ended
        await account.current(hosts.world.deps, "us", session)
    assert await locking.held(hosts.world.deps, "us", account_id)
    async with hosts.world.deps.uow() as uow:
        recent = await uow.audit.recent("us", account_id, 20)
    (locked,) = [e for e in recent if e.action == "account.locked"]
    assert locked.detail["by"] == f"token:{token_id}"

    again = await hosts.console.post(BASE, json=body, headers=bearer(token))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict", again.text

    lift = {"site": "us", "reason": "The chargebacks were the bank's error"}
    r = await hosts.console.post(f"{BASE}/{account_id}/lift", json=lift, headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["locked"] is False
    signed = await sign_in.sign_in(
        hosts.world.deps, "us", identifier="ana@example.com", password=PW, remember=False, who=WHO
    )
    assert isinstance(signed, sign_in.SignedIn)
    r = await hosts.console.post(f"{BASE}/{account_id}/lift", json=lift, headers=bearer(token))
    assert r.status_code == 409, r.text


async def test_bad_input_and_other_sites(hosts: Hosts) -> None:
    await customer(hosts.world)
    _, token = await trust_token(hosts)
    r = await hosts.console.post(
        BASE, json={"site": "us", "identifier": "nobody@example.com", "reason": WHY},
        headers=bearer(token),
    )  # fmt: skip
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await hosts.console.post(
        BASE, json={"site": "us", "identifier": "ana@example.com", "reason": " "},
        headers=bearer(token),
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason", r.text
    # A token of the US's staff does not reach the UK, whose account it names or not.
    r = await hosts.console.post(
        BASE, json={"site": "uk", "identifier": "ana@example.com", "reason": WHY},
        headers=bearer(token),
    )  # fmt: skip
    assert r.status_code == 404
    r = await hosts.console.post(BASE, json={"site": "us", "identifier": "ana@example.com"})
    assert r.status_code == 401  # no token, no lock
