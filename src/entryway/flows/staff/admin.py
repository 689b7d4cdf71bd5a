"""The console's admin actions: the staff list, roles, disabling, lifting locks, and the
settings page's audit row. Each needs the ``admin`` role, a reason, and covers only staff
whose sites the admin's own sites cover."""

from __future__ import annotations

from entryway.core.staff import Actor, Role, StaffAction, oversees
from entryway.errors import InvalidInput, NotFound
from entryway.flows.ports import Deps, Requester, UnitOfWork
from entryway.flows.staff import accounts
from entryway.flows.staff.common import audit, reason_of
from entryway.flows.staff.records import StaffAuditEntry, StaffMember

NOT_FOUND = "We couldn't find that staff member."
NOT_YOURSELF = "You can't change your own account here; ask another admin."


def require_admin(actor: Actor) -> None:
    """Admin pages answer like pages that do not exist to anyone else (SECURITY.md 33)."""
    if not actor.has(Role.ADMIN):
        raise NotFound(NOT_FOUND)


async def staff_list(deps: Deps, actor: Actor) -> list[accounts.Listed]:
    """The staff this admin oversees, each with whether a lock holds on them."""
    require_admin(actor)
    async with deps.uow() as uow:
        locked = await uow.staff.locked_ids()
        return [
            accounts.Listed(m, m.id in locked)
            for m in await uow.staff.everyone()
            if oversees(actor, m.all_sites, m.sites)
        ]


async def _target(uow: UnitOfWork, actor: Actor, staff_id: str) -> StaffMember:
    require_admin(actor)
    member = await uow.staff.get(staff_id) if 0 < len(staff_id) <= 32 else None
    if member is None or not oversees(actor, member.all_sites, member.sites):
        raise NotFound(NOT_FOUND)
    if member.id == actor.staff_id:
        raise InvalidInput(NOT_YOURSELF)
    return member


async def set_roles(
    deps: Deps, actor: Actor, staff_id: str, roles: frozenset[Role], reason: str, who: Requester
) -> None:
    why = reason_of(reason)
    if not roles:
        raise InvalidInput("Choose at least one role.", field="roles")
    async with deps.uow() as uow:
        member = await _target(uow, actor, staff_id)
        await accounts.change_roles(
            deps, uow, member, roles, actor_id=actor.staff_id, who=who, reason=why
        )
        await uow.commit()


async def disable(deps: Deps, actor: Actor, staff_id: str, reason: str, who: Requester) -> None:
    why = reason_of(reason)
    async with deps.uow() as uow:
        member = await _target(uow, actor, staff_id)
        await accounts.disable_member(
            deps, uow, member, actor_id=actor.staff_id, who=who, reason=why
        )
        await uow.commit()


async def lift_lock(deps: Deps, actor: Actor, staff_id: str, reason: str, who: Requester) -> bool:
    why = reason_of(reason)
    async with deps.uow() as uow:
        member = await _target(uow, actor, staff_id)
        lifted = await accounts.lift_lock(
            deps, uow, member, actor_id=actor.staff_id, who=who, reason=why
        )
        await uow.commit()
    return lifted


async def settings_viewed(deps: Deps, actor: Actor, who: Requester) -> None:
    """Reading the settings (secrets redacted) is audited too."""
    require_admin(actor)
    async with deps.uow() as uow:
        await audit(
            deps, uow, StaffAction.SETTINGS_VIEWED, actor_id=actor.staff_id, target_id=None, who=who
        )
        await uow.commit()


async def recent_audit(deps: Deps, actor: Actor, limit: int = 20) -> list[StaffAuditEntry]:
    require_admin(actor)
    async with deps.uow() as uow:
        return await uow.staff.audit_log(limit)
