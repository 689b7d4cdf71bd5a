"""Account recoveries. Every query is scoped by site but the housekeeping lists, which the
jobs that move recoveries along run across sites."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    bindparam,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from entryway.adapters.sql.prepared import Prepared
from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import LIVE_RECOVERY
from entryway.adapters.sql.tables import recoveries as r
from entryway.core.recovery import DAY, Notice, RecoveryState
from entryway.flows.ports import Recovery

_CONVERT = {"state": RecoveryState}
# FOR UPDATE: on PostgreSQL the row stays locked to this transaction, and a transaction
# that moved it meanwhile is waited for, then its result read (a row that left the live
# states is not returned). SQLite runs one writer at a time and leaves the clause out.
_HOLD_LIVE = Prepared(
    select(r)
    .where(
        r.c.site == bindparam("b_site"),
        r.c.account_id == bindparam("b_account"),
        text(LIVE_RECOVERY),
    )
    .limit(1)
    .with_for_update()
)
# The due test below compares seconds the database computes (SQLite's julianday is a
# float, good to about a millisecond), so each comparison leans a second to one side: a
# notice is listed up to a second early (the job's own check, core.recovery.next_notice,
# then decides), and a wait only just over two days (by under a second) is taken for one
# without a last day's notice, which would have come within a second of halfway's.
_SLACK = 1.0


class RecoveryRepo(Repo):
    async def add(self, recovery: Recovery) -> bool:
        try:
            async with self.conn.begin_nested():  # a refused second one leaves the rest usable
                await self.conn.execute(insert(r).values(**values_of(recovery)))
        except IntegrityError:
            return False  # the account has a live recovery already (uq_recoveries_live)
        return True

    async def get(self, site: str, recovery_id: str) -> Recovery | None:
        return await self._first(r.c.site == site, r.c.id == recovery_id)

    async def live_for(self, site: str, account_id: str) -> Recovery | None:
        return await self._first(
            r.c.site == site, r.c.account_id == account_id, text(LIVE_RECOVERY)
        )

    async def hold_live(self, site: str, account_id: str) -> Recovery | None:
        params = {"b_site": site, "b_account": account_id}
        row = await self.conn.first(_HOLD_LIVE, params)
        return load(Recovery, row, convert=_CONVERT) if row else None

    async def by_case(self, site: str, case_id: str) -> Recovery | None:
        return await self._first(r.c.site == site, r.c.case_id == case_id)

    async def in_states(self, states: list[RecoveryState], limit: int = 200) -> list[Recovery]:
        query = (
            select(r)
            .where(r.c.state.in_([s.value for s in states]))
            .order_by(r.c.created_at, r.c.id)
            .limit(limit)
        )
        return await self._all(query)

    async def waiting_due(self, now: datetime, limit: int) -> list[Recovery]:
        start, end = self._seconds(r.c.waiting_since), self._seconds(r.c.wait_until)
        at, day = now.timestamp() + _SLACK, DAY.total_seconds()
        # core.recovery.notice_times, in SQL: halfway is due once start + end <= 2 * now;
        # the last day's notice once end - a day <= now, and only for waits over two days
        # (a shorter one has none: it would fall before halfway). A test holds the two
        # rules together.
        halfway = and_(r.c.notices_sent < int(Notice.HALFWAY), start + end <= 2 * at)
        last_day = and_(
            r.c.notices_sent < int(Notice.LAST_DAY),
            end - day <= at,
            end - start > 2 * day + _SLACK,
        )
        query = (
            select(r)
            .where(
                r.c.state == RecoveryState.WAITING.value,
                r.c.waiting_since.is_not(None),
                r.c.wait_until.is_not(None),
                or_(r.c.wait_until <= now, halfway, last_day),
            )
            .order_by(r.c.wait_until, r.c.id)
            .limit(limit)
        )
        return await self._all(query)

    async def ready_before(self, ready_at: datetime, limit: int) -> list[Recovery]:
        query = (
            select(r)
            .where(r.c.state == RecoveryState.READY.value, r.c.wait_until <= ready_at)
            .order_by(r.c.wait_until, r.c.id)
            .limit(limit)
        )
        return await self._all(query)

    async def review_due(self, now: datetime, limit: int) -> list[Recovery]:
        # In review, wait_until holds the decision deadline (see flows.records.Recovery).
        query = (
            select(r)
            .where(r.c.state == RecoveryState.REVIEW.value, r.c.wait_until <= now)
            .order_by(r.c.wait_until, r.c.id)
            .limit(limit)
        )
        return await self._all(query)

    async def cancelled_since(self, site: str, account_id: str, since: datetime) -> bool:
        query = (
            select(r.c.id)
            .where(
                r.c.site == site,
                r.c.account_id == account_id,
                r.c.state == RecoveryState.CANCELLED.value,
                r.c.ended_at >= since,
            )
            .limit(1)
        )
        return (await self.conn.execute(query)).first() is not None

    def _seconds(self, column: Any) -> Any:
        """A UTC timestamp column as seconds since 1970, as this database computes it."""
        if self.conn.dialect.name == "postgresql":
            return extract("epoch", column)
        return (func.julianday(column) - literal(2440587.5, Float)) * literal(86400.0, Float)

    async def _all(self, query: Any) -> list[Recovery]:
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(Recovery, row, convert=_CONVERT) for row in rows]

    async def move(
        self, site: str, recovery_id: str, from_state: RecoveryState, **values: Any
    ) -> bool:
        if "state" in values:
            values["state"] = RecoveryState(values["state"]).value
        stmt = (
            update(r)
            .where(r.c.site == site, r.c.id == recovery_id, r.c.state == from_state.value)
            .values(**values)
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def noticed(self, site: str, recovery_id: str, before: int, after: int) -> bool:
        stmt = (
            update(r)
            .where(r.c.site == site, r.c.id == recovery_id, r.c.notices_sent == before)
            .values(notices_sent=after)
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def _first(self, *where: Any) -> Recovery | None:
        row = (await self.conn.execute(select(r).where(*where).limit(1))).mappings().first()
        return load(Recovery, row, convert=_CONVERT) if row else None
