"""Suspensions, warnings and appeals; every query is scoped by site. None commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import appeals as a
from entryway.adapters.sql.tables import suspensions as s
from entryway.core.suspension import AppealState, Measure, Scope, SuspensionState
from entryway.flows.ports import Appeal, Suspension

_SUSPENSION = {"measure": Measure, "scope": Scope, "state": SuspensionState}
_APPEAL = {"state": AppealState}


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Enum members as the strings the tables keep."""
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


class SuspensionRepo(Repo):
    async def add(self, suspension: Suspension) -> None:
        await self.conn.execute(insert(s).values(**_stored(values_of(suspension))))

    async def get(self, site: str, suspension_id: str) -> Suspension | None:
        query = select(s).where(s.c.site == site, s.c.id == suspension_id)
        row = (await self.conn.execute(query)).mappings().first()
        return load(Suspension, row, convert=_SUSPENSION) if row else None

    async def for_account(self, site: str, account_id: str) -> list[Suspension]:
        query = (
            select(s)
            .where(s.c.site == site, s.c.account_id == account_id)
            .order_by(s.c.starts_at.desc(), s.c.id.desc())
        )
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(Suspension, r, convert=_SUSPENSION) for r in rows]

    async def move(
        self, site: str, suspension_id: str, from_state: SuspensionState, **values: Any
    ) -> bool:
        query = (
            update(s)
            .where(s.c.site == site, s.c.id == suspension_id, s.c.state == from_state.value)
            .values(**_stored(values))
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def add_appeal(self, appeal: Appeal) -> bool:
        try:
            async with self.conn.begin_nested():  # a refused one leaves the rest usable
                await self.conn.execute(insert(a).values(**_stored(values_of(appeal))))
        except IntegrityError:
            return False  # an open appeal already, or this number taken (uq_appeals_open)
        return True

    async def appeals(self, site: str, suspension_id: str) -> list[Appeal]:
        query = (
            select(a)
            .where(a.c.site == site, a.c.suspension_id == suspension_id)
            .order_by(a.c.number)
        )
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(Appeal, r, convert=_APPEAL) for r in rows]

    async def appeal_by_case(self, site: str, case_id: str) -> Appeal | None:
        query = select(a).where(a.c.site == site, a.c.case_id == case_id)
        row = (await self.conn.execute(query)).mappings().first()
        return load(Appeal, row, convert=_APPEAL) if row else None

    async def decide_appeal(
        self, site: str, appeal_id: str, state: AppealState, by: str, at: datetime, reason: str
    ) -> bool:
        if state is AppealState.OPEN:
            raise ValueError("a decision moves an appeal out of open")
        query = (
            update(a)
            .where(a.c.site == site, a.c.id == appeal_id, a.c.state == AppealState.OPEN.value)
            .values(state=state.value, decided_by=by, decided_at=at, decision_reason=reason)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def withdraw_open(self, site: str, suspension_id: str, at: datetime) -> list[Appeal]:
        found = [x for x in await self.appeals(site, suspension_id) if x.state is AppealState.OPEN]
        withdrawn = []
        for appeal in found:
            query = (
                update(a)
                .where(a.c.id == appeal.id, a.c.state == AppealState.OPEN.value)
                .values(state=AppealState.WITHDRAWN.value, decided_at=at)
            )
            if (await self.conn.execute(query)).rowcount == 1:
                appeal.state, appeal.decided_at = AppealState.WITHDRAWN, at
                withdrawn.append(appeal)
        return withdrawn
