"""Staff accounts: add, list, disable, set roles, reset; each makes or voids enrolment links.

The command line acts with no actor (an operator on the machine, audited as such); the
console's admin pages act through ``admin.py`` with an ``Actor``. Both end up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entryway.core.passkeys import STAFF
from entryway.core.secrets import new_token
from entryway.core.staff import (
    ENROL_LINK_LIFETIME,
    Role,
    StaffAction,
    StaffStatus,
    format_roles,
)
from entryway.errors import Conflict, InvalidInput, NotFound
from entryway.flows.ports import Deps, Requester, UnitOfWork
from entryway.flows.staff.common import audit, failure_key, link_hash, staff_email
from entryway.flows.staff.records import StaffLink, StaffMember

CLI = Requester(ip="", user_agent="entryway staff")


@dataclass(frozen=True, slots=True)
class Invitation:
    """A fresh single-use enrolment link for one staff member, on the console's origin."""

    staff_id: str
    email: str
    link: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Listed:
    member: StaffMember
    locked: bool


def check_sites(deps: Deps, sites: list[str] | frozenset[str], all_sites: bool) -> frozenset[str]:
    """A staff member works on every site or on named ones, each a configured site."""
    if all_sites:
        if sites:
            raise InvalidInput("give either sites or all sites, not both", field="sites")
        return frozenset()
    if not sites:
        raise InvalidInput("give at least one site, or all sites", field="sites")
    known = {s.code for s in deps.sites.sites}
    for code in sites:
        if code not in known:
            raise InvalidInput(
                f"unknown site {code!r}; the sites are {', '.join(sorted(known))}", field="sites"
            )
    return frozenset(sites)


def _console(console_url: str) -> str:
    if not console_url:
        raise InvalidInput("no console is configured: set ENTRYWAY_CONSOLE_URL first")
    return console_url.rstrip("/")


async def new_link(
    deps: Deps, uow: UnitOfWork, member: StaffMember, console_url: str
) -> Invitation:
    """Void the member's older links and make a new one (24 h, single use)."""
    now = deps.clock.now()
    token = new_token(deps.rng)
    await uow.staff.void_links(member.id, now)
    expires = now + ENROL_LINK_LIFETIME
    await uow.staff.add_link(
        StaffLink(
            id_hash=link_hash(deps, token), staff_id=member.id, created_at=now, expires_at=expires
        )
    )
    await audit(
        deps,
        uow,
        StaffAction.ENROLMENT_LINK,
        actor_id=None,
        target_id=member.id,
        who=CLI,
        expires_at=expires.isoformat(),
    )
    return Invitation(
        staff_id=member.id,
        email=member.email,
        link=f"{_console(console_url)}/enrol/{token}",
        expires_at=expires,
    )


async def add(
    deps: Deps,
    *,
    email: str,
    roles: frozenset[Role],
    sites: list[str],
    all_sites: bool,
    console_url: str,
    name: str = "",
    who: Requester = CLI,
) -> Invitation:
    """A new staff member, invited: prints (returns) their enrolment link."""
    _console(console_url)
    canonical = staff_email(deps, email)
    if not roles:
        raise InvalidInput("give at least one role", field="roles")
    scope = check_sites(deps, sites, all_sites)
    member = StaffMember(
        id=new_token(deps.rng, 16),
        email=canonical,
        name=name.strip()[:100],
        roles=roles,
        sites=scope,
        all_sites=all_sites,
        status=StaffStatus.INVITED,
        created_at=deps.clock.now(),
    )
    async with deps.uow() as uow:
        try:
            await uow.staff.add(member)
        except Conflict:
            raise InvalidInput(
                f"{canonical} is already staff; use 'entryway staff reset' for a new link",
                field="email",
            ) from None
        # Failures typed before this address became staff's are not held against them.
        await uow.staff.unlock(failure_key(deps, canonical))
        await uow.staff.clear_failures(failure_key(deps, canonical))
        invitation = await new_link(deps, uow, member, console_url)
        await audit(
            deps,
            uow,
            StaffAction.ADDED,
            actor_id=None,
            target_id=member.id,
            who=who,
            roles=format_roles(roles),
            sites="*" if all_sites else ",".join(sorted(scope)),
        )
        await uow.commit()
    return invitation


async def listing(deps: Deps) -> list[Listed]:
    """Every staff member and whether a lock holds on them (for the command line)."""
    async with deps.uow() as uow:
        locked = await uow.staff.locked_ids()
        return [Listed(m, m.id in locked) for m in await uow.staff.everyone()]


async def member_by_email(uow: UnitOfWork, deps: Deps, email: str) -> StaffMember:
    found = await uow.staff.find(staff_email(deps, email))
    if found is None:
        raise NotFound(f"no staff member has the email {email!r}")
    return found


async def disable_member(
    deps: Deps,
    uow: UnitOfWork,
    member: StaffMember,
    *,
    actor_id: str | None,
    who: Requester,
    reason: str = "",
) -> None:
    """Disabled at once: every console session ends and no link works any more."""
    await uow.staff.update(member.id, status=StaffStatus.DISABLED)
    await uow.staff.end_sessions(member.id)
    await uow.staff.void_links(member.id, deps.clock.now())
    await audit(
        deps,
        uow,
        StaffAction.DISABLED,
        actor_id=actor_id,
        target_id=member.id,
        who=who,
        reason=reason,
    )


async def disable(deps: Deps, email: str, who: Requester = CLI) -> StaffMember:
    async with deps.uow() as uow:
        member = await member_by_email(uow, deps, email)
        await disable_member(deps, uow, member, actor_id=None, who=who)
        await uow.commit()
    return member


async def change_roles(
    deps: Deps,
    uow: UnitOfWork,
    member: StaffMember,
    roles: frozenset[Role],
    *,
    actor_id: str | None,
    who: Requester,
    reason: str = "",
    sites: frozenset[str] | None = None,
    all_sites: bool | None = None,
) -> None:
    """New roles (and, from the command line, sites); their sessions end, so the next
    sign-in sees the new scope rather than a session opened under the old one."""
    if not roles:
        raise InvalidInput("give at least one role", field="roles")
    values: dict[str, object] = {"roles": roles}
    if all_sites is not None:
        values["all_sites"] = all_sites
        values["sites"] = sites or frozenset()
    await uow.staff.update(member.id, **values)
    await uow.staff.end_sessions(member.id)
    detail = {"roles": format_roles(roles), "was": format_roles(member.roles), "reason": reason}
    if all_sites is not None:
        detail["sites"] = "*" if all_sites else ",".join(sorted(sites or ()))
    await audit(
        deps,
        uow,
        StaffAction.ROLES_CHANGED,
        actor_id=actor_id,
        target_id=member.id,
        who=who,
        **detail,
    )


async def set_roles(
    deps: Deps,
    email: str,
    roles: frozenset[Role],
    *,
    sites: list[str] | None = None,
    all_sites: bool = False,
    who: Requester = CLI,
) -> StaffMember:
    """``entryway staff roles``: the roles, and the sites when any are given."""
    scope = check_sites(deps, sites or [], all_sites) if (sites or all_sites) else None
    async with deps.uow() as uow:
        member = await member_by_email(uow, deps, email)
        await change_roles(
            deps,
            uow,
            member,
            roles,
            actor_id=None,
            who=who,
            sites=scope,
            all_sites=all_sites if scope is not None else None,
        )
        await uow.commit()
        updated = await uow.staff.get(member.id)
    assert updated is not None
    return updated


async def reset(deps: Deps, email: str, console_url: str, who: Requester = CLI) -> Invitation:
    """Void the password, the authenticator key and the passkeys, end every session, lift
    any lock, and make a new enrolment link: the member enrols again from the start."""
    _console(console_url)
    async with deps.uow() as uow:
        member = await member_by_email(uow, deps, email)
        await uow.staff.update(
            member.id,
            status=StaffStatus.INVITED,
            password_hash=None,
            totp_sealed=None,
            totp_confirmed_at=None,
        )
        await uow.staff.end_sessions(member.id)
        removed = await uow.staff_passkeys.remove_all(STAFF, member.id)  # enrols again
        await uow.staff.unlock(failure_key(deps, member.email))
        await uow.staff.clear_failures(failure_key(deps, member.email))
        invitation = await new_link(deps, uow, member, console_url)
        await audit(
            deps, uow, StaffAction.RESET, actor_id=None, target_id=member.id, who=who,
            passkeys_removed=removed,
        )  # fmt: skip
        await uow.commit()
    return invitation


async def lift_lock(
    deps: Deps,
    uow: UnitOfWork,
    member: StaffMember,
    *,
    actor_id: str | None,
    who: Requester,
    reason: str,
) -> bool:
    """An admin lifts a lock (a staff lock never lifts by itself)."""
    key = failure_key(deps, member.email)
    lifted = await uow.staff.unlock(key)
    await uow.staff.clear_failures(key)
    if lifted:
        await audit(
            deps,
            uow,
            StaffAction.LOCK_LIFTED,
            actor_id=actor_id,
            target_id=member.id,
            who=who,
            reason=reason,
        )
    return lifted
