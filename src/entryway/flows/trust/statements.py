"""A suspension's statement of reasons read by trust staff through the admin API, by id:
the same Statement the customer's notice shows, scoped like every console query."""

from __future__ import annotations

from entryway.core.staff import Actor, Role
from entryway.errors import NotFound
from entryway.flows.ports import Deps
from entryway.flows.trust import measures
from entryway.flows.trust.measures import Statement

NO_SUSPENSION = "No suspension of that id on that site."


async def statement_of(deps: Deps, actor: Actor, site: str, suspension_id: str) -> Statement:
    """The statement, or NotFound: for another site's suspension, an unknown id, or an
    actor without the trust role alike (nothing tells which, SECURITY.md 33)."""
    if not actor.has(Role.TRUST) or not actor.sees_site(site):
        raise NotFound(NO_SUSPENSION)
    async with deps.uow() as uow:
        found = await uow.suspensions.get(site, suspension_id)
        if found is None:
            raise NotFound(NO_SUSPENSION)
        return await measures.statement(deps, uow, found)
