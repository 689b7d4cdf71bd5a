"""Who a staff id names, for console pages that show who a case is assigned to or who
wrote on it (a case stores staff ids, which mean nothing to a colleague)."""

from __future__ import annotations

from collections.abc import Iterable

from entryway.flows.ports import Deps

MAX_NAMES = 100


async def emails_of(deps: Deps, staff_ids: Iterable[str | None]) -> dict[str, str]:
    """The email of each staff id given (at most MAX_NAMES); unknown ids are left out.

    Only staff emails are read, never a credential: any staff member may know who their
    colleagues are, and the ids come from cases the asker's own scope already reached.
    """
    wanted = sorted({i for i in staff_ids if i})[:MAX_NAMES]
    found: dict[str, str] = {}
    async with deps.uow() as uow:
        for staff_id in wanted:
            member = await uow.staff.get(staff_id)
            if member is not None:
                found[staff_id] = member.email
    return found
