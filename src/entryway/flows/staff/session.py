"""Console sessions: the check every console page makes, and signing out."""

from __future__ import annotations

from entryway.core.sessions import is_live
from entryway.core.staff import Actor, StaffAction, StaffLevel, StaffStatus, next_idle
from entryway.errors import Unauthenticated
from entryway.flows.ports import Deps, Requester
from entryway.flows.staff.common import audit, session_hash
from entryway.flows.staff.records import StaffMember, StaffSession

SIGNED_OUT = "Please sign in to the console."


async def session_of(
    deps: Deps, token: str | None, level: StaffLevel
) -> tuple[StaffSession, StaffMember]:
    """The live console session of exactly ``level`` and its member, touching the idle
    deadline of a full one; Unauthenticated otherwise. A disabled member has no session."""
    if not token or len(token) > 100:
        raise Unauthenticated(SIGNED_OUT)
    now = deps.clock.now()
    id_hash = session_hash(deps, token)
    async with deps.uow() as uow:
        session = await uow.staff.session(id_hash)
        if session is None or session.level != level:
            raise Unauthenticated(SIGNED_OUT)
        if not is_live(now, session.idle_deadline, session.absolute_deadline):
            await uow.staff.end_session(id_hash)
            await uow.commit()
            raise Unauthenticated(SIGNED_OUT)
        member = await uow.staff.get(session.staff_id)
        if member is None or member.status == StaffStatus.DISABLED:
            await uow.staff.end_session(id_hash)
            await uow.commit()
            raise Unauthenticated(SIGNED_OUT)
        if level == StaffLevel.FULL:
            idle = next_idle(now, session.idle_deadline, session.absolute_deadline)
            if idle is not None:
                await uow.staff.touch_session(id_hash, now, idle)
                await uow.commit()
    return session, member


async def current_actor(deps: Deps, token: str | None) -> Actor:
    """Who is signed in to the console (a full session of an active member), or
    Unauthenticated; every console page asks this first."""
    _session, member = await session_of(deps, token, StaffLevel.FULL)
    if member.status != StaffStatus.ACTIVE:
        raise Unauthenticated(SIGNED_OUT)
    return member.actor


async def sign_out(deps: Deps, token: str | None, who: Requester) -> None:
    """End this console session (any level); nothing to end is fine."""
    if not token or len(token) > 100:
        return
    async with deps.uow() as uow:
        session = await uow.staff.session(session_hash(deps, token))
        if session is None:
            return
        await uow.staff.end_session(session.id_hash)
        await audit(
            deps,
            uow,
            StaffAction.SIGNED_OUT,
            actor_id=session.staff_id,
            target_id=session.staff_id,
            who=who,
        )
        await uow.commit()
