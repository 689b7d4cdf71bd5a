"""Support cases, their threads and View your case links. Every query is scoped by site
(or by the staff member's list of sites); none commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import case_entries, case_links, support_cases
from entryway.core.cases import Author, CaseState, Origin, Topic
from entryway.errors import Conflict
from entryway.flows.ports import CaseEntry, CaseLink, SupportCase

_CONVERT = {"topic": Topic, "origin": Origin, "state": CaseState}
_C = support_cases.c


def _case(row: Any) -> SupportCase:
    return load(SupportCase, row, convert=_CONVERT)


def _case_values(case: SupportCase) -> dict[str, Any]:
    values = values_of(case)
    for name in ("topic", "origin", "state"):
        values[name] = values[name].value
    return values


class CaseRepo(Repo):
    async def add(self, case: SupportCase) -> None:
        try:
            async with self.conn.begin_nested():  # a taken number leaves the transaction usable
                await self.conn.execute(insert(support_cases).values(**_case_values(case)))
        except IntegrityError as exc:
            raise Conflict("case number taken") from exc

    async def get(self, site: str, case_id: str) -> SupportCase | None:
        return await self._first(_C.site == site, _C.id == case_id)

    async def in_sites(self, sites: list[str], case_id: str) -> SupportCase | None:
        return await self._first(_C.site.in_(sites), _C.id == case_id) if sites else None

    async def by_number(self, sites: list[str], number: str) -> SupportCase | None:
        return await self._first(_C.site.in_(sites), _C.number == number) if sites else None

    async def by_contact(
        self, pairs: list[tuple[str, str]], topics: list[Topic], limit: int = 50
    ) -> list[SupportCase]:
        if not pairs or not topics:
            return []
        query = (
            select(support_cases)
            .where(
                tuple_(_C.site, _C.claimed_contact).in_(pairs),
                _C.topic.in_([t.value for t in topics]),
            )
            .order_by(_C.created_at.desc(), _C.id)
            .limit(limit)
        )
        return [_case(r) for r in (await self.conn.execute(query)).mappings().all()]

    async def for_account(self, site: str, account_id: str) -> list[SupportCase]:
        query = (
            select(support_cases)
            .where(_C.site == site, _C.account_id == account_id)
            .order_by(_C.created_at.desc(), _C.id)
        )
        return [_case(r) for r in (await self.conn.execute(query)).mappings().all()]

    async def queue(
        self,
        sites: list[str],
        states: list[CaseState],
        topics: list[Topic],
        assigned_to: str | None,
        limit: int,
    ) -> list[SupportCase]:
        if not sites or not states or not topics:
            return []
        conditions: list[Any] = [
            _C.site.in_(sites),
            _C.state.in_([s.value for s in states]),
            _C.topic.in_([t.value for t in topics]),
        ]
        if assigned_to is not None:
            conditions.append(_C.assigned_to == assigned_to)
        query = (
            select(support_cases)
            .where(*conditions)
            # NULLS LAST spelled so that SQLite and PostgreSQL agree.
            .order_by(_C.first_reply_due.is_(None), _C.first_reply_due, _C.created_at, _C.id)
            .limit(limit)
        )
        return [_case(r) for r in (await self.conn.execute(query)).mappings().all()]

    async def move(self, site: str, case_id: str, from_state: CaseState, **values: Any) -> bool:
        for name in ("state", "topic", "origin"):
            if name in values and hasattr(values[name], "value"):
                values[name] = values[name].value
        result = await self.conn.execute(
            update(support_cases)
            .where(_C.site == site, _C.id == case_id, _C.state == from_state.value)
            .values(**values)
        )
        return bool(result.rowcount == 1)

    async def link_account(self, site: str, case_id: str, account_id: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(support_cases)
            .where(
                _C.site == site,
                _C.id == case_id,
                or_(_C.account_id.is_(None), _C.account_id == account_id),
            )
            .values(account_id=account_id, verified_at=now)
        )
        return bool(result.rowcount == 1)

    async def next_verification(self, site: str, case_id: str) -> int:
        statement = (
            update(support_cases)
            .where(_C.site == site, _C.id == case_id)
            .values(verify_sends=_C.verify_sends + 1)
            .returning(_C.verify_sends)
        )
        return int((await self.conn.execute(statement)).scalar_one())

    async def add_entry(self, entry: CaseEntry) -> None:
        values = values_of(entry)
        del values["id"]  # assigned by the database
        values["author"] = entry.author.value
        await self.conn.execute(insert(case_entries).values(**values))

    async def entries(self, site: str, case_id: str) -> list[CaseEntry]:
        query = (
            select(case_entries)
            .where(case_entries.c.site == site, case_entries.c.case_id == case_id)
            .order_by(case_entries.c.at, case_entries.c.id)
        )
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(CaseEntry, r, convert={"author": Author}) for r in rows]

    async def add_link(self, link: CaseLink) -> None:
        await self.conn.execute(insert(case_links).values(**values_of(link)))

    async def by_link(self, site: str, id_hash: str) -> SupportCase | None:
        query = (
            select(support_cases)
            .join(case_links, case_links.c.case_id == _C.id)
            .where(
                case_links.c.id_hash == id_hash,
                case_links.c.site == site,
                case_links.c.revoked_at.is_(None),
                _C.site == site,
            )
        )
        row = (await self.conn.execute(query)).mappings().first()
        return _case(row) if row else None

    async def revoke_links(self, site: str, case_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(case_links)
            .where(
                case_links.c.site == site,
                case_links.c.case_id == case_id,
                case_links.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )

    async def close_solved(self, solved_before: datetime, now: datetime) -> list[SupportCase]:
        statement = (
            update(support_cases)
            .where(_C.state == CaseState.SOLVED.value, _C.solved_at <= solved_before)
            .values(state=CaseState.CLOSED.value, closed_at=now)
            .returning(*support_cases.c)
        )
        return [_case(r) for r in (await self.conn.execute(statement)).mappings().all()]

    async def _first(self, *conditions: Any) -> SupportCase | None:
        row = (await self.conn.execute(select(support_cases).where(*conditions))).mappings().first()
        return _case(row) if row else None
