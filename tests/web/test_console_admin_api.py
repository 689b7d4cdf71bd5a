"""The admin API on the console's origin: a staff token (and nothing else, no cookie)
authenticates; suspend, read and lift; errors in the API's shape; the customer sites have
no such route."""

from __future__ import annotations

import pytest

from entryway.core.staff import Role
from entryway.core.suspension import SuspensionState
from entryway.errors import Unauthenticated
from entryway.flows.account import account
from entryway.flows.staff import accounts, tokens
from tests.flows.staff_helpers import enrolled
from tests.web.test_console import Hosts
from tests.web.test_console_accounts import FACTS, customer
from tests.web.test_console_accounts import hosts as hosts  # the fixture, re-exported
from tests.web.test_console_cases import Staff
from tests.web.test_console_cases import staff as staff  # the fixture, re-exported

BASE = "/admin/api/v1/suspensions"


async def trust_token(hosts: Hosts, sites: list[str] | None = None) -> tuple[str, str]:
    """(token id, token) of an active trust member on ``sites`` (default: the US)."""
    member = await enrolled(
        hosts.world, "fraud@staff.example", frozenset({Role.TRUST}), sites or ["us"]
    )
    made, secret = await tokens.add_token(hosts.world.deps, member.email, "fraud-scoring")
    return made.id, secret


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def suspend_body(**extra: object) -> dict[str, object]:
    return {
        "site": "us",
        "identifier": "ana@example.com",
        "reason": "payment_fraud",
        "facts": FACTS,
        "automated": True,
        **extra,
    }


async def test_suspend_read_and_lift_with_a_token(hosts: Hosts) -> None:
    session = await customer(hosts.world)
    token_id, token = await trust_token(hosts)
    r = await hosts.console.post(BASE, json=suspend_body(), headers=bearer(token))
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["site"] == "us" and made["until"] is None and made["appeal_until"]
    assert made["state"] == "in_force"
    with pytest.raises(Unauthenticated):  # the customer's sessions ended
        await account.current(hosts.world.deps, "us", session)
    async with hosts.world.deps.uow() as uow:
        stored = await uow.suspensions.get("us", made["id"])
    assert stored is not None and stored.acted_by == f"token:{token_id}" and stored.automated

    r = await hosts.console.get(
        f"{BASE}/{made['id']}", params={"site": "us"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    assert r.json()["facts"] == FACTS and r.json()["reason_code"] == "payment_fraud"
    # Another site's id answers like none.
    r = await hosts.console.get(
        f"{BASE}/{made['id']}", params={"site": "uk"}, headers=bearer(token)
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"

    again = await hosts.console.post(BASE, json=suspend_body(), headers=bearer(token))
    assert again.status_code in (409, 422), again.text  # already suspended
    assert set(again.json()["error"]) >= {"code", "message"}

    r = await hosts.console.post(
        f"{BASE}/{made['id']}/lift", json={"site": "us", "reason": "Wrong customer"},
        headers=bearer(token),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "lifted" and r.json()["lifted_at"]
    async with hosts.world.deps.uow() as uow:
        stored = await uow.suspensions.get("us", made["id"])
    assert stored is not None and stored.state is SuspensionState.LIFTED


async def test_a_dated_suspension_and_bad_input(hosts: Hosts) -> None:
    await customer(hosts.world)
    _, token = await trust_token(hosts)
    r = await hosts.console.post(BASE, json=suspend_body(until="soon"), headers=bearer(token))
    assert r.status_code == 422 and r.json()["error"]["field"] == "until"
    r = await hosts.console.post(BASE, json=suspend_body(automated="yes"), headers=bearer(token))
    assert r.status_code == 422 and r.json()["error"]["field"] == "automated"
    r = await hosts.console.post(BASE, json=suspend_body(reason="nope"), headers=bearer(token))
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason", r.text
    r = await hosts.console.post(
        BASE, json=suspend_body(identifier="nobody@example.com"), headers=bearer(token)
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    later = hosts.world.clock.now().replace(microsecond=0).isoformat()
    r = await hosts.console.post(BASE, json=suspend_body(until=later), headers=bearer(token))
    assert r.status_code == 422, r.text  # not in the future
    r = await hosts.console.post(BASE, json=suspend_body(until="2099-01-31"), headers=bearer(token))
    assert r.status_code == 201, r.text
    assert r.json()["until"].startswith("2099-01-31T05:00:00")  # midnight in New York


async def test_tokens_missing_bad_revoked_expired_or_no_longer_trust_get_401(
    hosts: Hosts, staff: Staff
) -> None:
    await customer(hosts.world)
    token_id, token = await trust_token(hosts)
    r = await hosts.console.post(BASE, json=suspend_body())
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert r.headers["www-authenticate"] == "Bearer"
    r = await hosts.console.post(BASE, json=suspend_body(), headers=bearer(token + "x"))
    assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"]
    # A console session's cookies are not a credential here.
    signed_in = await staff("trust@staff.example", frozenset({Role.TRUST}), ["us"])
    r = await signed_in.post(BASE, json=suspend_body())
    assert r.status_code == 401

    assert await tokens.revoke_token(hosts.world.deps, token_id)
    r = await hosts.console.get(f"{BASE}/x", params={"site": "us"}, headers=bearer(token))
    assert r.status_code == 401

    _, fresh = await tokens.add_token(hosts.world.deps, "fraud@staff.example", "second", days=1)
    r = await hosts.console.get(f"{BASE}/x", params={"site": "us"}, headers=bearer(fresh))
    assert r.status_code == 404  # authenticated: that id is simply unknown
    hosts.world.clock.advance(days=1, seconds=1)
    r = await hosts.console.get(f"{BASE}/x", params={"site": "us"}, headers=bearer(fresh))
    assert r.status_code == 401

    _, third = await tokens.add_token(hosts.world.deps, "fraud@staff.example", "third")
    await accounts.set_roles(
        hosts.world.deps, "fraud@staff.example", frozenset({Role.AGENT}), sites=["us"],
        all_sites=False,
    )  # fmt: skip
    r = await hosts.console.post(BASE, json=suspend_body(), headers=bearer(third))
    assert r.status_code == 401


async def test_the_customer_sites_have_no_admin_api(hosts: Hosts) -> None:
    session = await customer(hosts.world)
    _, token = await trust_token(hosts)
    r = await hosts.site.post(BASE, json=suspend_body(), headers=bearer(token))
    assert r.status_code == 404
    r = await hosts.site.get(f"{BASE}/x?site=us", headers=bearer(token))
    assert r.status_code == 404
    me = await account.current(hosts.world.deps, "us", session)  # nothing happened
    assert me.account.suspension_id is None
