"""The admin API for a store's fraud systems, on the console's origin only: suspend an
account, lift a suspension, read a suspension's statement of reasons, lock an account until
unlocked (signing it and its apps out everywhere) and unlock it.

A call authenticates with ``Authorization: Bearer <staff token>`` alone (``entryway staff
token add``): it acts as the token's owner, with their roles and sites, and the flows check
the trust role and the site as for the console's own pages. No cookie is read, so a
browser's console session can neither call it nor be ridden by a forged request (which is
why there is no CSRF token here). Errors are ``{"error": {"code", "message", "field"}}``
with the flow's status; the customer sites have no such route and answer 404.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.requests import Request

from entryway.core.local_time import day_starts
from entryway.core.staff import Actor
from entryway.core.suspension import MAX_DECISION, MAX_FACTS
from entryway.errors import InvalidInput, Unauthenticated
from entryway.flows.records import Suspension
from entryway.flows.staff import tokens
from entryway.flows.staff.records import StaffToken
from entryway.flows.trust import locking, measures, statements
from entryway.web.api.contract import Clean, Code, In, PathId, Text
from entryway.web.console.render import console_of, who

PREFIX = "/admin/api/v1"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
bearer = HTTPBearer(auto_error=False)
Facts = Annotated[str, Field(max_length=MAX_FACTS), Clean]
Reason = Annotated[str, Field(max_length=MAX_DECISION), Clean]


def is_admin_api(path: str) -> bool:
    """Whether errors at ``path`` answer in the API's JSON shape (else as console pages)."""
    return path == PREFIX or path.startswith(PREFIX + "/")


async def token_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> tuple[Actor, StaffToken]:
    """The token's owner as the Actor; 401 for a missing, unknown, expired or revoked
    token, or one whose owner is no longer active with the trust role."""
    if credentials is None or not credentials.credentials.strip():
        raise Unauthenticated("Send Authorization: Bearer <staff token>.")
    deps = console_of(request).deps
    return await tokens.actor_for_token(deps, credentials.credentials.strip(), who(request))


Caller = Annotated[tuple[Actor, StaffToken], Depends(token_actor)]


class SuspendIn(In):
    site: Code
    identifier: Text = Field(description="the account's email or mobile phone number")
    reason: Code = Field(description="a code of the store's SUSPENSION_REASONS")
    facts: Facts
    until: Code | None = Field(
        default=None,
        description="YYYY-MM-DD (as that day starts on the site's clock) or an ISO 8601 "
        "time with its offset; absent or null: indefinite",
    )
    automated: bool
    scope: Code = "account"


class LiftIn(In):
    site: Code
    reason: Reason


class LockIn(In):
    site: Code
    identifier: Text = Field(description="the account's email or mobile phone number")
    reason: Reason = Field(description="why, for the logs (the customer is not shown it)")


class UnlockIn(In):
    site: Code
    reason: Reason


class LockOut(BaseModel):
    site: str
    account_id: str
    locked: bool
    locked_at: datetime
    apps_revoked: int = 0


class SuspensionOut(BaseModel):
    id: str
    site: str
    account_id: str
    state: str
    until: datetime | None
    appeal_until: datetime | None
    lifted_at: datetime | None = None


def until_of(raw: str | None, site: str, request: Request) -> datetime | None:
    """None (indefinite), a date on the site's clock, or an exact time with an offset."""
    if raw is None:
        return None
    deps = console_of(request).deps
    try:
        if len(raw) == 10:
            return day_starts(raw, deps.site(site))
        moment = datetime.fromisoformat(raw)
    except (ValueError, LookupError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(
            "until: write YYYY-MM-DD or an ISO 8601 time with its offset.", field="until"
        )
    return moment.astimezone(UTC)


def out(s: Suspension) -> SuspensionOut:
    return SuspensionOut(
        id=s.id,
        site=s.site,
        account_id=s.account_id,
        state=s.state.value,
        until=s.until,
        appeal_until=s.appeal_until,
        lifted_at=s.lifted_at,
    )


@router.post("/suspensions", status_code=201)
async def suspend(request: Request, body: SuspendIn, caller: Caller) -> SuspensionOut:
    """Suspend the account of that email or phone on that site; the customer is emailed
    the statement of reasons, as from the console."""
    actor, token = caller
    deps = console_of(request).deps
    # The token's scope first: a site not its owner's is not even looked into.
    measures.check_actor(deps, actor, body.site)
    until = until_of(body.until, body.site, request)
    account_id = await measures.account_by_identifier(deps, body.site, body.identifier)
    done = await measures.suspend(
        deps,
        actor,
        site=body.site,
        account_id=account_id,
        reason=body.reason,
        facts=body.facts,
        until=until,
        automated=body.automated,
        scope=body.scope,
        who=who(request),
        by=f"token:{token.id}",
    )
    return out(done)


@router.post("/suspensions/{suspension_id}/lift")
async def lift(
    request: Request, suspension_id: PathId, body: LiftIn, caller: Caller
) -> SuspensionOut:
    """Lift a suspension in force (an error); the customer is told they can sign in."""
    actor, token = caller
    done = await measures.lift(
        console_of(request).deps,
        actor,
        site=body.site,
        suspension_id=suspension_id,
        reason=body.reason,
        who=who(request),
        by=f"token:{token.id}",
    )
    return out(done)


@router.get("/suspensions/{suspension_id}")
async def statement(
    request: Request,
    suspension_id: PathId,
    caller: Caller,
    site: Annotated[str, Query(max_length=40)],
) -> dict[str, Any]:
    """The statement of reasons as the customer was given it, with its appeals."""
    actor, _ = caller
    found = await statements.statement_of(console_of(request).deps, actor, site, suspension_id)
    encoded: dict[str, Any] = jsonable_encoder(dataclasses.asdict(found))
    return encoded


@router.post("/locks", status_code=201)
async def lock(request: Request, body: LockIn, caller: Caller) -> LockOut:
    """Lock the account of that email or phone on that site until it is unlocked: its
    sessions and apps' tokens end at once, and the customer is told."""
    actor, token = caller
    deps = console_of(request).deps
    locking.check_actor(deps, actor, body.site)  # the token's scope before any lookup
    account_id = await measures.account_by_identifier(deps, body.site, body.identifier)
    done = await locking.lock_account(
        deps, actor, site=body.site, account_id=account_id, reason=body.reason,
        who=who(request), by=f"token:{token.id}",
    )  # fmt: skip
    return LockOut(
        site=done.site, account_id=done.account_id, locked=True, locked_at=done.locked_at,
        apps_revoked=done.apps_revoked,
    )  # fmt: skip


@router.post("/locks/{account_id}/lift")
async def unlock(request: Request, account_id: PathId, body: UnlockIn, caller: Caller) -> LockOut:
    """Lift a lock by our staff; the customer is told they can sign in again."""
    actor, token = caller
    done = await locking.unlock_account(
        console_of(request).deps, actor, site=body.site, account_id=account_id,
        reason=body.reason, who=who(request), by=f"token:{token.id}",
    )  # fmt: skip
    return LockOut(
        site=done.site, account_id=done.account_id, locked=False, locked_at=done.locked_at
    )
