"""Admin API tokens: how a store's fraud system acts as one trust staff member.

A token is made by an operator on the command line for an active staff member with the
trust role, printed once, and kept only by keyed hash (a copy of the database opens
nothing). It acts with its owner's roles and sites, for a fixed time; it stops working
when revoked, when it expires, or as soon as its owner is no longer active or no longer
holds the trust role, checked on every use.
"""

from __future__ import annotations

from datetime import timedelta

from entryway.core.secrets import keyed_hash, new_token
from entryway.core.staff import Actor, Role, StaffAction, StaffStatus
from entryway.errors import InvalidInput, NotFound, Unauthenticated
from entryway.flows.ports import Deps, Requester
from entryway.flows.staff.accounts import CLI
from entryway.flows.staff.common import audit, staff_email
from entryway.flows.staff.records import StaffToken

DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_NAME = 100
REFUSED = "This token is not valid."


def token_hash(deps: Deps, token: str) -> str:
    """Tokens are kept under their own label, so no other secret's hash can match one."""
    return keyed_hash(deps.keys.hashing, "staff-token", token)


async def add_token(
    deps: Deps, email: str, name: str, days: int = DEFAULT_DAYS
) -> tuple[StaffToken, str]:
    """A new token for an active trust staff member; the token itself is returned once."""
    canonical = staff_email(deps, email)
    label = " ".join((name or "").split())
    if not label or len(label) > MAX_NAME:
        raise InvalidInput(f"Name the token (1 to {MAX_NAME} characters).", field="name")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"A token lasts 1 to {MAX_DAYS} days.", field="days")
    now = deps.clock.now()
    token = new_token(deps.rng)  # 256 bits
    async with deps.uow() as uow:
        member = await uow.staff.find(canonical)
        if member is None:
            raise NotFound("No staff member has that email.")
        if member.status != StaffStatus.ACTIVE:
            raise InvalidInput("Only an active staff member can have a token.", field="email")
        if Role.TRUST not in member.roles:
            raise InvalidInput("Only a member of the trust team can have a token.", field="email")
        row = StaffToken(
            id=new_token(deps.rng, 16),
            staff_id=member.id,
            name=label,
            token_hash=token_hash(deps, token),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        await uow.staff.add_token(row)
        await audit(
            deps,
            uow,
            StaffAction.TOKEN_ADDED,
            actor_id=None,
            target_id=member.id,
            who=CLI,
            token=row.id,
            name=label,
            expires_at=row.expires_at.isoformat(),
        )
        await uow.commit()
    return row, token


async def list_tokens(deps: Deps) -> list[tuple[StaffToken, str]]:
    """Every token, newest first (revoked and expired ones too), with its owner's email."""
    async with deps.uow() as uow:
        tokens = await uow.staff.tokens()
        emails = {m.id: m.email for m in await uow.staff.everyone()}
    return [(t, emails.get(t.staff_id, "")) for t in tokens]


async def revoke_token(deps: Deps, token_id: str) -> bool:
    """Revoke a token at once; False when unknown or revoked already."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        owner = next((t.staff_id for t in await uow.staff.tokens() if t.id == token_id), None)
        if owner is None or not await uow.staff.revoke_token(token_id, now):
            return False
        await audit(
            deps,
            uow,
            StaffAction.TOKEN_REVOKED,
            actor_id=None,
            target_id=owner,
            who=CLI,
            token=token_id,
        )
        await uow.commit()
    return True


async def actor_for_token(deps: Deps, token: str, who: Requester) -> tuple[Actor, StaffToken]:
    """Who a bearer token acts as (its owner, as now), and the token; Unauthenticated, with
    one message, for an unknown, revoked or expired token or an owner who may not use it."""
    if not token or len(token) > 100:
        raise Unauthenticated(REFUSED)
    now = deps.clock.now()
    async with deps.uow() as uow:
        row = await uow.staff.token(token_hash(deps, token))
        if row is None or row.revoked_at is not None or now >= row.expires_at:
            raise Unauthenticated(REFUSED)
        member = await uow.staff.get(row.staff_id)
        if member is None or member.status != StaffStatus.ACTIVE or Role.TRUST not in member.roles:
            raise Unauthenticated(REFUSED)
        await uow.staff.token_used(row.id, now)
        await uow.commit()
    row.last_used_at = now
    return member.actor, row
